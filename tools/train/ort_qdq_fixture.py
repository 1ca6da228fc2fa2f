"""A QDQ model written by onnxruntime's own quantize_static (not by us), with onnxruntime's output,
as a fixture for the engine's QDQ import. Run with a Python that has onnxruntime, onnx, numpy:
    build/venv/bin/python tools/train/ort_qdq_fixture.py
"""
import numpy as np
import onnxruntime as ort
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

FIX = "tests/data/fixtures/"
x = np.load(FIX + "uresq.input.npy")


class Reader(CalibrationDataReader):
    def __init__(self):
        self.it = iter([{"input": x}])

    def get_next(self):
        return next(self.it, None)


quantize_static(FIX + "uresq.onnx", FIX + "uresq_ort_qdq.onnx", Reader(), quant_format=QuantFormat.QDQ,
                per_channel=True, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
so = ort.SessionOptions()
so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
s = ort.InferenceSession(FIX + "uresq_ort_qdq.onnx", so, providers=["CPUExecutionProvider"])
np.save(FIX + "uresq_ort_qdq.expected.npy", s.run(None, {"input": x})[0].astype(np.float32))
print("wrote", FIX + "uresq_ort_qdq.onnx")
