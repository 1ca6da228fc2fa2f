/**
 * Java bindings (JNA) of libefficientq's C ABI ({@code include/efficientq/efficientq.h}).
 *
 * <p>Every handle is an {@link java.lang.AutoCloseable} wrapper ({@link org.efficientq.Context},
 * {@link org.efficientq.Model}, {@link org.efficientq.Volume}, {@link org.efficientq.Config},
 * {@link org.efficientq.Report}) whose {@code close()} calls the matching {@code efq_*_destroy}
 * exactly once. Every failed call throws an unchecked {@link org.efficientq.EfficientQException}
 * with the {@link org.efficientq.Status} and {@code efq_last_error_message()}. Strings the
 * library returns are copied and freed with {@code efq_string_free}. {@link
 * org.efficientq.EfqLibrary} is the raw mapping.
 *
 * <p>The library uses OpenMP: start the JVM with {@code OMP_WAIT_POLICY=PASSIVE} in its
 * environment (it cannot be set once the library is loaded). Find the library with {@code
 * -Djna.library.path=DIR}.
 */
package org.efficientq;
