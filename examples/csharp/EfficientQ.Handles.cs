// EfficientQ.Handles.cs — C# bindings for libefficientq (see EfficientQ.Types.cs for the overview).
// Library information, the SafeHandle owners of native objects and their common base.
using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using Microsoft.Win32.SafeHandles;

namespace EfficientQ
{
    /// <summary>Version and build information of the loaded library, and status names.</summary>
    public static class Library
    {
        /// <summary>The ABI major version these bindings were written against.</summary>
        public const int BindingsVersionMajor = 0;
        /// <summary>MAJOR*10000 + MINOR*100 + PATCH of the header these bindings mirror.</summary>
        public const int BindingsVersionNumber = 100;

        /// <summary>MAJOR*10000 + MINOR*100 + PATCH of the loaded library.</summary>
        public static uint VersionNumber { get { return NativeMethods.efq_version_number(); } }
        /// <summary>"MAJOR.MINOR.PATCH" of the loaded library.</summary>
        public static string VersionString { get { return Utf8.FromNative(NativeMethods.efq_version_string()); } }
        /// <summary>One line of build information (backends, dependency versions).</summary>
        public static string BuildInfo { get { return Utf8.FromNative(NativeMethods.efq_build_info()); } }
        /// <summary>True when the loaded library's major version is the one of these bindings.</summary>
        public static bool IsCompatible { get { return VersionNumber / 10000 == BindingsVersionMajor; } }

        /// <summary>efq_status_string: a short English name of any status value.</summary>
        public static string StatusString(Status status)
        {
            return Utf8.FromNative(NativeMethods.efq_status_string(status));
        }

        /// <summary>Throws the EfficientQException for a non-OK status; reads the thread's last
        /// error message, so call it right after the failed call.</summary>
        internal static void Check(Status status, string function, Exception inner = null)
        {
            if (status == Status.Ok) return;
            string detail = Utf8.FromNative(NativeMethods.efq_last_error_message());
            throw new EfficientQException(status, StatusString(status), detail, function, inner);
        }
    }

    // ---- Handles ------------------------------------------------------------------------------

    /// <summary>Owns an efq_context*; releasing it calls efq_context_destroy. It also keeps the
    /// context's callback delegates alive for as long as the native context exists.</summary>
    public sealed class ContextHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        internal NativeMethods.ProgressFn ProgressThunk;
        internal NativeMethods.LogFn LogThunk;
        private Exception _callbackException;

        private ContextHandle() : base(true) { }
        private ContextHandle(bool ownsHandle) : base(ownsHandle) { }

        /// <summary>A handle standing for NULL (calls that take an optional context).</summary>
        internal static ContextHandle Null() { return new ContextHandle(false); }

        protected override bool ReleaseHandle()
        {
            NativeMethods.efq_context_destroy(handle);
            return true;
        }

        /// <summary>Remembers the first exception a callback caught during the running call.</summary>
        internal void RecordCallbackException(Exception e)
        {
            Interlocked.CompareExchange(ref _callbackException, e, null);
        }

        /// <summary>Takes (and clears) what RecordCallbackException remembered.</summary>
        internal Exception TakeCallbackException()
        {
            return Interlocked.Exchange(ref _callbackException, null);
        }
    }

    /// <summary>Owns an efq_config*; releasing it calls efq_config_destroy.</summary>
    public sealed class ConfigHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        private ConfigHandle() : base(true) { }
        private ConfigHandle(bool ownsHandle) : base(ownsHandle) { }

        /// <summary>A handle standing for NULL (an optional config left out).</summary>
        internal static ConfigHandle Null() { return new ConfigHandle(false); }

        protected override bool ReleaseHandle()
        {
            NativeMethods.efq_config_destroy(handle);
            return true;
        }
    }

    /// <summary>Owns an efq_model*; releasing it calls efq_model_destroy.</summary>
    public sealed class ModelHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        private ModelHandle() : base(true) { }

        protected override bool ReleaseHandle()
        {
            NativeMethods.efq_model_destroy(handle);
            return true;
        }
    }

    /// <summary>Owns an efq_volume*; releasing it calls efq_volume_destroy.</summary>
    public sealed class VolumeHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        private VolumeHandle() : base(true) { }

        protected override bool ReleaseHandle()
        {
            NativeMethods.efq_volume_destroy(handle);
            return true;
        }
    }

    /// <summary>Owns an efq_report*; releasing it calls efq_report_destroy.</summary>
    public sealed class ReportHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        private ReportHandle() : base(true) { }

        protected override bool ReleaseHandle()
        {
            NativeMethods.efq_report_destroy(handle);
            return true;
        }
    }

    /// <summary>Common part of the wrapper classes: one owned handle, disposed once.</summary>
    public abstract class NativeObject<THandle> : IDisposable where THandle : SafeHandle
    {
        private readonly THandle _handle;

        internal NativeObject(THandle handle)
        {
            _handle = handle;
        }

        /// <summary>The owned handle (ObjectDisposedException once disposed).</summary>
        public THandle Handle
        {
            get
            {
                if (_handle.IsClosed) throw new ObjectDisposedException(GetType().Name);
                return _handle;
            }
        }

        /// <summary>Destroys the native object now (later calls throw ObjectDisposedException).</summary>
        public void Dispose()
        {
            _handle.Dispose();
        }
    }
}
