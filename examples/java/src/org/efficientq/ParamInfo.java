package org.efficientq;

import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import com.sun.jna.Structure.FieldOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * {@code efq_param_info}: what the library knows about one parameter (type, scope, bounds,
 * default, name, help), for hosts that build their options from the library rather than from a
 * copy of the header. An immutable copy: the library's strings are static storage, copied here.
 *
 * <p>A library newer than this binding may describe parameters {@link Param} does not name:
 * {@link #param()} is then empty and {@link #code()} has the number; likewise {@link #type()} and
 * {@link #scope()} are {@code UNKNOWN} for values this binding does not know, with the numbers in
 * {@link #typeCode()} and {@link #scopeCode()}.
 */
public final class ParamInfo {
  /**
   * The C struct {@code efq_param_info} field for field, as {@code efq_param_get_info} fills it;
   * {@code struct_size} is set by the constructor. Most code should use {@link ParamInfo}.
   */
  @FieldOrder({"struct_size", "param", "type", "scope", "name", "help", "min", "max",
      "default_value", "default_string"})
  public static final class Raw extends Structure {
    /** {@code sizeof(efq_param_info)} as this binding knows it (set by the constructor). */
    public SizeT struct_size;
    /** The {@code efq_param} described. */
    public int param;
    /** An {@code efq_param_type}. */
    public int type;
    /** An {@code efq_param_scope}. */
    public int scope;
    /** Short English name (static storage of the library). */
    public Pointer name;
    /** One sentence of help (static storage of the library). */
    public Pointer help;
    /** Numeric parameters: inclusive lower bound; strings: 0. */
    public double min;
    /** Numeric parameters: inclusive upper bound; strings: 0. */
    public double max;
    /** Numeric parameters: the value of an unset parameter; strings: 0. */
    public double default_value;
    /** String parameters: the value of an unset parameter; numeric ones: "". */
    public Pointer default_string;

    /** An empty description with {@code struct_size} set. */
    public Raw() {
      struct_size = new SizeT(size());
    }
  }

  private final int code;
  private final int typeCode;
  private final int scopeCode;
  private final String name;
  private final String help;
  private final double min;
  private final double max;
  private final double defaultValue;
  private final String defaultString;

  private ParamInfo(Raw r) {
    code = r.param;
    typeCode = r.type;
    scopeCode = r.scope;
    name = string(r.name);
    help = string(r.help);
    min = r.min;
    max = r.max;
    defaultValue = r.default_value;
    defaultString = string(r.default_string);
  }

  private static String string(Pointer p) {
    return p == null ? "" : p.getString(0, "UTF-8");
  }

  /**
   * Describes a parameter by its C value ({@code efq_param_get_info}), including values this
   * binding's {@link Param} does not name.
   *
   * @param code an {@code efq_param} number
   * @return the description
   * @throws EfficientQException {@link Status#INVALID_ARGUMENT} for a value that is not a
   *     parameter of the loaded library
   */
  public static ParamInfo of(int code) {
    Raw raw = new Raw();
    Errors.check(EfqLibrary.INSTANCE.efq_param_get_info(code, raw), "efq_param_get_info");
    return new ParamInfo(raw);
  }

  /**
   * The C values of every parameter the loaded library knows ({@code efq_param_list}).
   *
   * @return the values, increasing
   */
  static int[] libraryCodes() {
    SizeT.ByReference count = new SizeT.ByReference();
    Errors.check(EfqLibrary.INSTANCE.efq_param_list(null, new SizeT(0), count), "efq_param_list");
    int[] codes = new int[(int) count.getValue()];
    if (codes.length == 0) return codes;
    Errors.check(
        EfqLibrary.INSTANCE.efq_param_list(codes, new SizeT(codes.length), count),
        "efq_param_list");
    return count.getValue() < codes.length ? Arrays.copyOf(codes, (int) count.getValue()) : codes;
  }

  /**
   * Describes every parameter the loaded library knows, in increasing value.
   *
   * @return an unmodifiable list
   */
  static List<ParamInfo> listFromLibrary() {
    List<ParamInfo> all = new ArrayList<>();
    for (int code : libraryCodes()) all.add(of(code));
    return Collections.unmodifiableList(all);
  }

  /**
   * The C value of the parameter described.
   *
   * @return its {@code efq_param} number
   */
  public int code() {
    return code;
  }

  /**
   * The parameter described.
   *
   * @return its constant, or empty for a value this binding does not name
   */
  public Optional<Param> param() {
    return Param.fromCode(code);
  }

  /**
   * The type of its value.
   *
   * @return the type, {@link ParamType#UNKNOWN} for a value this binding does not know
   */
  public ParamType type() {
    return ParamType.fromCode(typeCode);
  }

  /**
   * The C value of its type.
   *
   * @return the {@code efq_param_type} number
   */
  public int typeCode() {
    return typeCode;
  }

  /**
   * Which calls read it.
   *
   * @return the scope, {@link ParamScope#UNKNOWN} for a value this binding does not know
   */
  public ParamScope scope() {
    return ParamScope.fromCode(scopeCode);
  }

  /**
   * The C value of its scope.
   *
   * @return the {@code efq_param_scope} number
   */
  public int scopeCode() {
    return scopeCode;
  }

  /**
   * Short English name, as error messages use it.
   *
   * @return e.g. "weight bits"
   */
  public String name() {
    return name;
  }

  /**
   * One sentence of help: meaning, accepted values, units.
   *
   * @return the help
   */
  public String help() {
    return help;
  }

  /**
   * Inclusive lower bound of a numeric parameter.
   *
   * @return the bound; 0 for a string parameter
   */
  public double min() {
    return min;
  }

  /**
   * Inclusive upper bound of a numeric parameter.
   *
   * @return the bound; 0 for a string parameter
   */
  public double max() {
    return max;
  }

  /**
   * The value an unset numeric parameter has (model metadata may set inference parameters
   * instead).
   *
   * @return the default; 0 for a string parameter
   */
  public double defaultValue() {
    return defaultValue;
  }

  /**
   * The value an unset string parameter has.
   *
   * @return the default ("" = none, or the model metadata's); "" for a numeric parameter
   */
  public String defaultString() {
    return defaultString;
  }

  @Override
  public String toString() {
    String range =
        type() == ParamType.STRING
            ? "default \"" + defaultString + "\""
            : min + ".." + max + " default " + defaultValue;
    return "ParamInfo[" + code + " " + name + ", " + type() + ", " + scope() + ", " + range + "]";
  }
}
