// Runs a Graph on a Backend: node by node in execution order, freeing each intermediate after
// its last use, so peak memory is a few activations, not the whole network.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "backends/backend.hpp"
#include "graph/graph.hpp"
#include "infer/buffer_pool.hpp"

namespace efq {

struct OpContext;
using OpFn = void (*)(OpContext&);

class Executor {
 public:
  /// An executor that only reads `g` (the `rewrite` hook is refused).
  Executor(const Graph& g, Backend& backend);
  /// An executor whose `rewrite` hook may change `g` while it runs (the quantizer's pass).
  Executor(Graph& g, Backend& backend);

  /// Runs the graph on `inputs` (graph-input order); returns the graph outputs in order.
  std::vector<Tensor> run(std::vector<Tensor> inputs);

  /// Runs W·A quantized convolutions (integer weight codes ≤ 8 bits with zero point 0 whose
  /// input comes from an activation quantizer) as real int8 convolutions on the backend.
  /// Returns how many layers qualified.
  int enable_int8();

  /// Shapes of every value for the given input shapes, computed without running float math.
  std::vector<Shape> infer_shapes(const std::vector<Shape>& input_shapes);

  /// The most bytes of float activations alive at once while running on inputs whose value
  /// shapes `infer_shapes` returned (each intermediate freed after its last use, as run does).
  int64_t peak_activation_bytes(const std::vector<Shape>& shapes) const;

  /// Called after each node with its index and first output (e.g. to record layer outputs).
  std::function<void(int node, const Tensor& out)> observer;
  /// Called before each node with its index and inputs; must not change the graph.
  std::function<void(int node, const std::vector<const Tensor*>& inputs)> before;
  /// Called before each node (after `before`) with the graph given to the mutable constructor:
  /// may replace node `node`'s constants, change its attributes, add constant values and
  /// inputs (a bias) and set the parameters of an activation quantizer node, which the node then
  /// runs with (its constant inputs are re-read after the call). It must not add, remove or
  /// reorder nodes or change non-constant values. Set on a read-only executor, run() throws
  /// kInternal.
  std::function<void(int node, Graph& g, const std::vector<const Tensor*>& inputs)> rewrite;

 private:
  std::vector<Tensor> execute(std::vector<Tensor> inputs, bool shapes_only,
                              std::vector<Shape>* shapes_out);
  const Graph& g_;
  Graph* mutable_g_ = nullptr;  // the same graph, when constructed mutable (for `rewrite`)
  Backend& be_;
  std::vector<int> last_use_;
  std::vector<OpFn> fns_;
  std::map<int, Int8Conv> int8_;  // by node index
  // enable_int8(): an activation quantizer whose only consumer is an int8 convolution is not
  // run; the convolution quantizes the quantizer's input itself (same arithmetic, same codes).
  std::map<int, int> int8_source_;  // int8 conv node index -> value id it reads instead
  std::vector<bool> skipped_;       // by node index

  // Buffer reuse across nodes and runs: a dead intermediate's float buffer goes to pool_ (by
  // capacity) and serves a later output of no larger size, so the same pages are written again
  // instead of freshly mapped ones (first-touch page faults cost more than the elementwise
  // operators themselves here: STACK §0). Output sizes come from a shapes-only pass, once per
  // distinct input shape (a sliding window runs one shape many times).
  void plan_buffers(const std::vector<Tensor>& inputs);
  /// The node computing `value` when it is an `op` node, `value` has no other reader and is
  /// no graph output, and the node reads a computed (non-constant) input; else −1.
  int sole_producer_for(int value, const std::string& op) const;
  BufferPool pool_;               // bounded by the planned peak of live activations
  std::vector<Shape> plan_key_;   // the input shapes plan_shapes_ was computed for
  std::vector<Shape> plan_shapes_;
};

/// Everything an operator implementation sees.
struct OpContext {
  const Graph& g;
  const Node& n;
  Backend& be;
  std::vector<const Tensor*> in;  // null for an omitted optional input
  std::vector<Tensor*> out;
  bool shapes_only;
  const Int8Conv* int8 = nullptr;  // set when this Conv runs as a real int8 convolution

  const Tensor& input(size_t k) const;  // throws a clear error when missing
  bool has_input(size_t k) const { return k < in.size() && in[k] != nullptr; }
  [[noreturn]] void error(const std::string& msg) const;
  [[noreturn]] void unsupported(const std::string& msg) const;
};

/// The geometry of Conv node `n` for an input of shape `x_shape` (pads resolved).
WindowParams conv_window(const Graph& g, const Node& n, const Shape& x_shape);

/// Registry of operator implementations (ops_*.cpp each register theirs).
std::map<std::string, OpFn>& op_registry();
void register_nn_ops();
void register_tensor_ops();

}  // namespace efq
