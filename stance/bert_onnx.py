"""The accurate tier's encoder as an ONNX graph, scored with ONNX Runtime (``runtime = "onnx"`` or
``"onnx-int8"`` of :class:`stance.transformer.TransformerClassifier`).

:func:`build_onnx` writes out exactly :func:`stance.bert._forward` (no dropout) with ``onnx.helper``:
embeddings (word + position + token type 0), LayerNormalization, per layer self-attention with an
additive mask bias of -1e9, Erf GELU (tanh for ``gelu_new``, or ReLU), mean pooling over the mask,
the linear head. Dense weights are stored transposed, so that every dense layer is one MatMul + Add
(query, key and value: one MatMul); ONNX Runtime's graph optimisations fuse the rest (GELU, LayerNorm
+ residual, bias).

The int8 variant (:func:`int8_model`): ONNX Runtime's dynamic quantization (:func:`quantize`: int8
weights per output channel, each MatMul's input quantized to uint8 on the fly, one scale per call).
One scale per call is what costs accuracy: BERT-style encoders carry a few input channels with values
ten times the others', in every token, and they stretch the scale. So each dense layer's
:data:`OUTLIERS` input channels with the largest values (:func:`outlier_channels`, measured on the
:data:`CALIBRATION` sentences) are taken out of the int8 MatMul (masked to 0) and multiplied in float
on their own. On the real model this lifts the sentences whose labels all agree with JAX's from 97.6%
to 99.3-99.4%, for about a tenth of the int8 speed-up (benchmarks/accurate_throughput.py). The
attention products and the head stay float.

Training stays in JAX; scoring with ONNX needs only ``onnx``, ``onnxruntime`` and ``tokenizers``:
nothing here imports JAX. A session is built per process (ONNX Runtime's threads do not survive a
fork), with as many intra-op threads as the process may use cores. Built graphs are kept on disk
(:func:`cache_dir`, named by the sha256 of the weights and of what else makes the graph), so the
int8 model is quantized once per model, not once per run.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from stance.errors import StanceError
from stance.fileio import atomic_write

RUNTIMES = ("jax", "onnx", "onnx-int8")
OPSET = 17
BATCH_SIZE = 64  # sentences per ORT call; each batch is padded only to its own longest sentence
ONNX_HINT = "pip install 'stance[accurate]' (onnx and onnxruntime)"
# Quantization settings kept (benchmarks/accurate_throughput.py --quant-variants compares them)
PER_CHANNEL = True
REDUCE_RANGE = True  # 7-bit weights: agree as well here (VNNI), and the U8S8 kernels of CPUs without VNNI do not saturate
OUTLIERS = 4  # input channels per dense layer kept in float in the int8 model (0: none)
# Plain sentences whose activations pick the outlier channels: they are the same channels for any
# English text (a property of the encoder), so these need not resemble the data.
CALIBRATION = (
    "The weather was mild for most of the week.",
    "Officials said the new bridge would open next spring.",
    "She told reporters that the talks had gone well.",
    "Prices rose again in March, the statistics office said.",
    "The team lost its third match in a row on Sunday.",
    "Nobody was hurt in the fire, police said.",
    "The minister accused the opposition of lying about the budget.",
    "If the strike goes ahead, flights will be cancelled.",
    "The company denied that it had broken any rules.",
    "Scientists warned that the drought could last for years.",
    "He said he would not run for office again.",
    "The museum will reopen after a long renovation.",
)


def _modules() -> tuple[Any, Any]:
    """``(onnx, onnxruntime)``, or a one-line StanceError naming the extra."""
    try:
        return importlib.import_module("onnx"), importlib.import_module("onnxruntime")
    except ImportError:
        raise StanceError(f"runtime 'onnx' and 'onnx-int8' need onnx and onnxruntime: {ONNX_HINT}") from None


def check_runtime(runtime: Any) -> str:
    if runtime not in RUNTIMES:
        raise ValueError(f"runtime must be 'jax', 'onnx' or 'onnx-int8', got {runtime!r}")
    return str(runtime)


# ---------------------------------------------------------------------------------------------
# The graph


def build_onnx(
    params: dict[str, np.ndarray], arch: dict[str, Any], outliers: dict[str, np.ndarray] | None = None, taps: bool = False
) -> bytes:
    """The serialized ONNX model of ``bert._forward(params, ids, mask, None, arch=arch, dropout=0)``:
    inputs ``ids`` and ``mask`` (int64, [batch, length], both axes dynamic), output ``logits``
    (float32, [batch, n_labels]).

    The MatMul of dense layer ``NAME`` (``encoder.layer.0.attention.self.qkv``, ...) is the node
    ``NAME.matmul``. ``outliers`` ({NAME: input channels}) splits those channels off into a MatMul
    of their own (``NAME.outliers``), the same sum; ``taps`` adds each dense layer's input as an
    output ``NAME.input`` (for :func:`outlier_channels`)."""
    onnx, _ = _modules()
    from onnx import TensorProto, helper, numpy_helper

    nodes: list[Any] = []
    inits: list[Any] = []
    names: set[str] = set()
    count = [0]

    def const(name: str, value: Any, dtype: Any = np.float32) -> str:
        if name not in names:
            inits.append(numpy_helper.from_array(np.ascontiguousarray(np.asarray(value, dtype=dtype)), name))
            names.add(name)
        return name

    def op(kind: str, inputs: list[str], name: str | None = None, **attrs: Any) -> str:
        count[0] += 1
        node = name or f"{kind.lower()}_{count[0]}"
        nodes.append(helper.make_node(kind, inputs, [node], name=node, **attrs))
        return node

    def p(name: str) -> np.ndarray:
        return np.asarray(params[name], dtype=np.float32)

    tapped: list[str] = []

    def matmul(x: str, wt: np.ndarray, name: str) -> str:
        if taps:
            nodes.append(helper.make_node("Identity", [x], [name + ".input"], name=name + ".input"))
            tapped.append(name + ".input")
        if outliers and name in outliers:
            out = np.asarray(outliers[name], dtype=np.int64)
            keep = np.ones(wt.shape[0], dtype=np.float32)
            keep[out] = 0.0  # masked with a Mul (a Gather of the other channels is slow)
            main = op(
                "MatMul",
                [op("Mul", [x, const(name + ".keep", keep)]), const(name + ".weight_t", wt * keep[:, None])],
                name=name + ".matmul",
            )
            xo = op("Gather", [x, const(name + ".outlier_channels", out, np.int64)], axis=-1)
            return op("Add", [main, op("MatMul", [xo, const(name + ".outlier_weight_t", wt[out])], name=name + ".outliers")])
        return op("MatMul", [x, const(name + ".weight_t", wt)], name=name + ".matmul")

    def dense(x: str, name: str) -> str:
        wt = p(name + ".weight").T  # stored (in, out): no Transpose at run time
        return op("Add", [matmul(x, wt, name), const(name + ".bias", p(name + ".bias"))])

    def norm(x: str, name: str) -> str:
        scale, bias = const(name + ".weight", p(name + ".weight")), const(name + ".bias", p(name + ".bias"))
        return op("LayerNormalization", [x, scale, bias], axis=-1, epsilon=float(arch["eps"]))

    def act(x: str) -> str:
        if arch["act"] == "relu":
            return op("Relu", [x])
        if arch["act"] == "gelu_new":  # 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
            cube = op("Mul", [op("Mul", [x, x]), x])
            inner = op(
                "Mul", [op("Add", [x, op("Mul", [cube, const("c_0.044715", 0.044715)])]), const("c_sqrt_2_pi", math.sqrt(2 / math.pi))]
            )
            return op("Mul", [op("Mul", [x, op("Add", [op("Tanh", [inner]), const("c_one", 1.0)])]), const("c_half", 0.5)])
        # x * 0.5 * (1 + erf(x / sqrt 2)): the pattern ONNX Runtime fuses into one Gelu
        erf = op("Erf", [op("Div", [x, const("c_sqrt2", math.sqrt(2.0))])])
        return op("Mul", [op("Mul", [x, op("Add", [erf, const("c_one", 1.0)])]), const("c_half", 0.5)])

    H, nh, offset = int(arch["hidden"]), int(arch["heads"]), int(arch["position_offset"])
    hd = H // nh
    positions = p("embeddings.position_embeddings.weight")[offset:]
    if "embeddings.token_type_embeddings.weight" in params:
        positions = positions + p("embeddings.token_type_embeddings.weight")[0]  # token type 0 everywhere
    length = op("Slice", [op("Shape", ["ids"]), const("i_1", [1], np.int64), const("i_2", [2], np.int64)])
    pos = op("Slice", [const("positions", positions), const("i_0", [0], np.int64), length, const("i_0", [0], np.int64)])
    x = op("Add", [op("Gather", [const("embeddings.word_embeddings.weight", p("embeddings.word_embeddings.weight")), "ids"], axis=0), pos])
    x = norm(x, "embeddings.LayerNorm")
    maskf = op("Cast", ["mask"], to=TensorProto.FLOAT)
    keep = op("Greater", [maskf, const("c_zero", 0.0)])
    bias = op("Unsqueeze", [op("Where", [keep, const("c_zero", 0.0), const("c_neg", -1e9)]), const("i_12", [1, 2], np.int64)])
    heads = const("heads_shape", [0, 0, nh, hd], np.int64)
    merged = const("hidden_shape", [0, 0, H], np.int64)
    for i in range(int(arch["layers"])):
        pre = f"encoder.layer.{i}."
        qkv = [pre + f"attention.self.{n}" for n in ("query", "key", "value")]
        wt = np.concatenate([p(n + ".weight").T for n in qkv], axis=1)  # one MatMul, then three slices of its columns
        both = op(
            "Add",
            [
                matmul(x, wt, pre + "attention.self.qkv"),
                const(pre + "attention.self.qkv.bias", np.concatenate([p(n + ".bias") for n in qkv])),
            ],
        )
        proj = [pre + s for s in "qkv"]
        nodes.append(helper.make_node("Split", [both, const("split_qkv", [H, H, H], np.int64)], proj, axis=-1))
        q = op("Transpose", [op("Reshape", [proj[0], heads])], perm=[0, 2, 1, 3])
        k = op("Transpose", [op("Reshape", [proj[1], heads])], perm=[0, 2, 3, 1])
        v = op("Transpose", [op("Reshape", [proj[2], heads])], perm=[0, 2, 1, 3])
        scores = op("Div", [op("MatMul", [q, k], name=pre + "scores"), const("c_sqrt_hd", math.sqrt(hd))])
        att = op("Softmax", [op("Add", [scores, bias])], axis=-1)
        ctx = op("Reshape", [op("Transpose", [op("MatMul", [att, v], name=pre + "context")], perm=[0, 2, 1, 3]), merged])
        x = norm(op("Add", [x, dense(ctx, pre + "attention.output.dense")]), pre + "attention.output.LayerNorm")
        h = act(dense(x, pre + "intermediate.dense"))
        x = norm(op("Add", [x, dense(h, pre + "output.dense")]), pre + "output.LayerNorm")
    m = op("Unsqueeze", [maskf, const("i_m1", [-1], np.int64)])
    total = op("ReduceSum", [op("Mul", [x, m]), const("i_1", [1], np.int64)], keepdims=0)
    count_ = op("Max", [op("ReduceSum", [m, const("i_1", [1], np.int64)], keepdims=0), const("c_eps", 1e-9)])
    logits = op(
        "Add",
        [
            op("MatMul", [op("Div", [total, count_]), const("head.weight_t", p("head.weight").T)], name="head.matmul"),
            const("head.bias", p("head.bias")),
        ],
    )
    nodes.append(helper.make_node("Identity", [logits], ["logits"], name="logits"))
    n_labels = int(p("head.bias").shape[0])
    graph = helper.make_graph(
        nodes,
        "stance_encoder",
        [helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "length"]) for n in ("ids", "mask")],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", n_labels])]
        + [helper.make_tensor_value_info(x, TensorProto.FLOAT, ["batch", "length", "width"]) for x in tapped],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="stance")
    model.ir_version = min(model.ir_version, 8)  # readable by older onnxruntime releases too
    onnx.checker.check_model(model)
    return model.SerializeToString()


def quantize(model_bytes: bytes, per_channel: bool = PER_CHANNEL, reduce_range: bool = REDUCE_RANGE) -> bytes:
    """Dynamic int8 quantization (``onnxruntime.quantization.quantize_dynamic``) of the encoder's
    dense layers (the ``*.matmul`` nodes but the head's): int8 weights, per output channel with
    ``per_channel``, their inputs quantized to uint8 at each call; everything else stays float32."""
    onnx, _ = _modules()
    import tempfile

    from onnxruntime.quantization import QuantType, quantize_dynamic

    model = onnx.load_from_string(model_bytes)
    keep_float = [n.name for n in model.graph.node if n.op_type == "MatMul" and (not n.name.endswith(".matmul") or n.name == "head.matmul")]
    quiet = logging.getLogger()  # quantize_dynamic logs a warning about optional pre-processing on the root logger
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        with tempfile.TemporaryDirectory(prefix="stance-onnx-") as tmp:
            src, dst = os.path.join(tmp, "fp32.onnx"), os.path.join(tmp, "int8.onnx")
            with open(src, "wb") as fh:
                fh.write(model_bytes)
            quantize_dynamic(
                src,
                dst,
                weight_type=QuantType.QInt8,
                op_types_to_quantize=["MatMul"],
                nodes_to_exclude=keep_float,
                per_channel=per_channel,
                reduce_range=reduce_range,
            )
            with open(dst, "rb") as fh:
                return fh.read()
    finally:
        quiet.setLevel(level)


# ---------------------------------------------------------------------------------------------
# Scoring


def cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class Session:
    """An ONNX Runtime session over a serialized model: ``logits(ids, mask)`` -> float64 array."""

    def __init__(self, model_bytes: bytes, threads: int | None = None) -> None:
        _, ort = _modules()
        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.intra_op_num_threads = int(threads or cores())
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        self.session = ort.InferenceSession(model_bytes, sess_options=opts, providers=["CPUExecutionProvider"])

    def logits(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        out = self.session.run(["logits"], {"ids": ids.astype(np.int64, copy=False), "mask": mask.astype(np.int64, copy=False)})[0]
        return np.asarray(out, dtype=np.float64)


def cached_session(
    cache: dict[str, Any],
    params: dict[str, np.ndarray],
    arch: dict[str, Any],
    runtime: str,
    tokenize: Callable[[list[str]], list[np.ndarray]],
) -> Session:
    """The session of ``runtime`` from a model's runtime cache: the graph is built (and quantized)
    once per model and runtime, the session once per process (ORT's threads do not survive a fork)."""
    graphs = cache.setdefault("onnx", {})

    def build() -> bytes:
        return int8_model(params, arch, tokenize) if runtime == "onnx-int8" else build_onnx(params, arch)

    if runtime not in graphs:
        path = graph_path(params, arch, runtime)
        graphs[runtime] = _read(path) or _write(path, build())
    key = f"onnx-session-{runtime}-{os.getpid()}"
    if key not in cache:
        try:
            cache[key] = Session(graphs[runtime])
        except Exception:  # a damaged file in the cache: built again, and the file replaced
            graphs[runtime] = _write(graph_path(params, arch, runtime), build())
            cache[key] = Session(graphs[runtime])
    return cache[key]


def cache_dir() -> Path:
    """Where built graphs are kept between runs: ``$STANCE_CACHE_DIR``, else ``$XDG_CACHE_HOME/stance``,
    else ``~/.cache/stance``."""
    if os.environ.get("STANCE_CACHE_DIR"):
        return Path(os.environ["STANCE_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "stance"


def graph_path(params: dict[str, np.ndarray], arch: dict[str, Any], runtime: str) -> Path:
    """The cache file of a model's graph: named by the sha256 of what makes the graph (the weights,
    the architecture, the runtime, this module's code and the onnx/onnxruntime versions), so that
    building it (4-10 s for the int8 model: outlier channels, quantization) happens once per model."""
    onnx, ort = _modules()
    h = hashlib.sha256()
    h.update(json.dumps([arch, runtime, onnx.__version__, ort.__version__], sort_keys=True, default=str).encode())
    h.update(Path(__file__).read_bytes())
    for name in sorted(params):
        a = np.ascontiguousarray(params[name])
        h.update(f"{name}:{a.dtype}:{a.shape}".encode())
        h.update(a.data)
    return cache_dir() / "onnx" / f"{h.hexdigest()}.onnx"


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes() or None
    except OSError:
        return None


def _write(path: Path, graph: bytes) -> bytes:
    """Keep ``graph`` in the cache where the cache can be written (else it is built again next run)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(path, "wb") as fh:
            fh.write(graph)
    except OSError:
        pass
    return graph


def int8_model(params: dict[str, np.ndarray], arch: dict[str, Any], tokenize: Callable[[list[str]], list[np.ndarray]]) -> bytes:
    """The int8 model: :data:`OUTLIERS` input channels of each dense layer in float, the rest quantized."""
    outliers = outlier_channels(params, arch, tokenize(list(CALIBRATION)), OUTLIERS) if OUTLIERS else None
    return quantize(build_onnx(params, arch, outliers), PER_CHANNEL, REDUCE_RANGE)


def outlier_channels(params: dict[str, np.ndarray], arch: dict[str, Any], ids: list[np.ndarray], k: int) -> dict[str, np.ndarray]:
    """For each dense layer, the ``k`` input channels with the largest absolute value over the real
    tokens of ``ids`` (the float model's activations)."""
    session = Session(build_onnx(params, arch, taps=True))
    names = [o.name for o in session.session.get_outputs() if o.name.endswith(".input")]
    tok, mask = pad(ids, np.arange(len(ids)), 0)
    real = mask.astype(bool)
    values = session.session.run(names, {"ids": tok, "mask": mask})
    return {n[: -len(".input")]: np.sort(np.argsort(-np.abs(v[real]).max(0))[:k]) for n, v in zip(names, values)}


def pad(ids: list[np.ndarray], rows: np.ndarray, pad_id: int) -> tuple[np.ndarray, np.ndarray]:
    """Token ids and mask (int64) for ``rows``, padded to the longest of them (no shape buckets: ORT
    does not compile per shape)."""
    L = max(1, max(len(ids[r]) for r in rows))
    tok = np.full((len(rows), L), pad_id, dtype=np.int64)
    mask = np.zeros((len(rows), L), dtype=np.int64)
    for i, r in enumerate(rows):
        tok[i, : len(ids[r])] = ids[r]
        mask[i, : len(ids[r])] = 1
    return tok, mask
