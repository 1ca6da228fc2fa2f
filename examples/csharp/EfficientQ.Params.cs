// EfficientQ.Params.cs — C# bindings for libefficientq (see EfficientQ.Types.cs for the overview).
// The library's parameter table: ParamType, ParamScope, ParamInfo and Params (efq_param_get_info,
// efq_param_list).
using System;
using System.Runtime.InteropServices;

namespace EfficientQ
{
    /// <summary>The type of a parameter's value (efq_param_type): which Config setter sets it.
    /// Values are pinned. A newer library may return a value not named here; the enum then holds
    /// that number.</summary>
    public enum ParamType
    {
        /// <summary><see cref="Config.SetInt"/>.</summary>
        Int = 0,
        /// <summary><see cref="Config.SetReal"/>.</summary>
        Real = 1,
        /// <summary><see cref="Config.SetString"/>.</summary>
        String = 2,
    }

    /// <summary>Which calls read a parameter (efq_param_scope). Values are pinned. A newer library
    /// may return a value not named here; the enum then holds that number.</summary>
    public enum ParamScope
    {
        /// <summary>Every call that runs a model: segmentation, evaluation and the forward passes
        /// of a quantization.</summary>
        Inference = 0,
        /// <summary>Segmentation only.</summary>
        Segmentation = 1,
        /// <summary>Evaluation (Dice and fidelity).</summary>
        Evaluation = 2,
        /// <summary>Quantization.</summary>
        Quantization = 3,
        /// <summary>Also a context parameter: every call made with the context, loads included.</summary>
        Context = 4,
    }

    /// <summary>What the library knows about one parameter (efq_param_info).</summary>
    public struct ParamInfo
    {
        /// <summary>The parameter described. A library newer than these bindings may describe a
        /// value <see cref="EfficientQ.Param"/> does not name (see <see cref="IsNamed"/>): the
        /// enum then holds the library's number.</summary>
        public Param Param;
        public ParamType Type;
        public ParamScope Scope;
        /// <summary>Short English name, as error messages use it ("weight bits").</summary>
        public string Name;
        /// <summary>One sentence of help: meaning, accepted values, units.</summary>
        public string Help;
        /// <summary>Numeric parameters: inclusive lower bound; strings: 0.</summary>
        public double Min;
        /// <summary>Numeric parameters: inclusive upper bound; strings: 0.</summary>
        public double Max;
        /// <summary>Numeric parameters: the value of an unset parameter (model metadata may set
        /// inference parameters instead); strings: 0.</summary>
        public double Default;
        /// <summary>String parameters: the value of an unset parameter ("" = none, or the model
        /// metadata's); numeric parameters: "".</summary>
        public string DefaultString;

        /// <summary>Whether <see cref="Param"/> is a value these bindings' enum names.</summary>
        public bool IsNamed { get { return Enum.IsDefined(typeof(Param), Param); } }
    }

    /// <summary>The parameter table of the loaded library, for hosts that build their options
    /// from the library rather than from a copy of the header. Thread-safe.</summary>
    public static class Params
    {
        /// <summary>Describes a parameter (efq_param_get_info); Status.InvalidArgument for a value
        /// that is not a parameter of the loaded library.</summary>
        public static ParamInfo GetInfo(Param param)
        {
            var n = new NativeMethods.efq_param_info();
            n.struct_size = (UIntPtr)Marshal.SizeOf(typeof(NativeMethods.efq_param_info));
            Library.Check(NativeMethods.efq_param_get_info(param, ref n), "efq_param_get_info");
            ParamInfo i;
            i.Param = n.param;
            i.Type = n.type;
            i.Scope = n.scope;
            i.Name = Utf8.FromNative(n.name); // static storage: copied, never freed
            i.Help = Utf8.FromNative(n.help);
            i.Min = n.min;
            i.Max = n.max;
            i.Default = n.default_value;
            i.DefaultString = Utf8.FromNative(n.default_string);
            return i;
        }

        /// <summary>Every parameter the loaded library knows, in increasing value (efq_param_list).
        /// A newer library may list values <see cref="Param"/> does not name; GetInfo describes
        /// them.</summary>
        public static Param[] List()
        {
            UIntPtr count;
            Library.Check(NativeMethods.efq_param_list(null, UIntPtr.Zero, out count), "efq_param_list");
            var all = new Param[(int)count.ToUInt64()];
            Library.Check(NativeMethods.efq_param_list(all, (UIntPtr)all.Length, out count), "efq_param_list");
            if (count.ToUInt64() < (ulong)all.Length) Array.Resize(ref all, (int)count.ToUInt64());
            return all;
        }

        /// <summary>Descriptions of every parameter the loaded library knows, in increasing value.</summary>
        public static ParamInfo[] ListInfo()
        {
            Param[] all = List();
            var infos = new ParamInfo[all.Length];
            for (int i = 0; i < all.Length; ++i) infos[i] = GetInfo(all[i]);
            return infos;
        }
    }
}
