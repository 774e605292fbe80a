"""Programs as a model family: DEAP trees encoded as flat rows, evaluated batched, printed
readably (see :mod:`turinglearn.families.gp`)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from turinglearn.families.parametric import ReactiveController

PAD = 0


def _div(a, b):
    return a / b if abs(b) > 1e-6 else 1.0


def _if_pos(a, b, c):
    return b if a > 0 else c


def _np_div(a, b):
    ok = np.abs(b) > 1e-6
    return np.where(ok, a / np.where(ok, b, 1.0), 1.0)


#: name: (arity, scalar function for DEAP's own evaluation, batched numpy function, infix format)
PRIMITIVES = {
    "add": (2, lambda a, b: a + b, np.add, "{} + {}"),
    "sub": (2, lambda a, b: a - b, np.subtract, "{} - {}"),
    "mul": (2, lambda a, b: a * b, np.multiply, "{} * {}"),
    "div": (2, _div, _np_div, "{} / {}"),
    "neg": (1, lambda a: -a, np.negative, "-{}"),
    "if_pos": (3, _if_pos, lambda a, b, c: np.where(a > 0, b, c), "{1} if {0} > 0 else {2}"),
}
CONST_NAME = "turinglearn_const"


class _ConstantSource:
    """Where DEAP's ephemeral constants draw from while :func:`_deap_random` is active."""

    rng: random.Random | None = None


def _draw_constant() -> float:
    if _ConstantSource.rng is None:
        raise RuntimeError("GP constants are drawn only inside turinglearn.families.gp._deap_random")
    return _ConstantSource.rng.uniform(-1.0, 1.0)


@contextmanager
def _deap_random(rng: random.Random):
    """Let DEAP's GP operators draw from ``rng`` instead of the global ``random`` module."""
    import deap.gp

    saved = deap.gp.random
    deap.gp.random = rng
    _ConstantSource.rng = rng
    try:
        yield
    finally:
        deap.gp.random = saved
        _ConstantSource.rng = None


def _is_constant(node) -> bool:
    from deap import gp

    return isinstance(node, gp.Terminal) and isinstance(node.value, (int, float))


@dataclass(frozen=True)
class GPFamily:
    """Programs over ``n_states`` discrete sensor states, at most ``max_nodes`` nodes per tree.

    Inputs: ``s`` (the reading, 0 or 1) for a binary sensor; indicators ``s1 .. s{S-1}``
    (1 while the sensor reads that state) otherwise. A program row [d] is ``codes [2, L]`` then
    ``constants [2, L]`` (``L = max_nodes``; trees in prefix order, code 0 pads), as floats.
    """

    n_states: int = 2
    max_nodes: int = 24

    def __getstate__(self):  # pickle the settings only, never the cached DEAP objects
        return {"n_states": self.n_states, "max_nodes": self.max_nodes}

    def __setstate__(self, state):
        self.__dict__.update(state)

    @cached_property
    def inputs(self) -> tuple[str, ...]:
        return ("s",) if self.n_states == 2 else tuple(f"s{k}" for k in range(1, self.n_states))

    @cached_property
    def symbols(self) -> tuple[str, ...]:
        """Token codes: 0 pads, then the primitives, the inputs and the constant."""
        return ("<pad>", *PRIMITIVES, *self.inputs, CONST_NAME)

    @cached_property
    def pset(self):
        """DEAP's primitive set (scalar functions: DEAP's own evaluation with ``gp.compile``)."""
        from deap import gp

        pset = gp.PrimitiveSet("controller", len(self.inputs))
        for name, (arity, fn, _, _) in PRIMITIVES.items():
            pset.addPrimitive(fn, arity, name=name)
        pset.renameArguments(**{f"ARG{i}": n for i, n in enumerate(self.inputs)})
        pset.addEphemeralConstant(CONST_NAME, _draw_constant)
        return pset

    @property
    def n_params(self) -> int:
        return 4 * self.max_nodes

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(
            f"{part}_{side}{i}" for part in ("code", "const") for side in "lr" for i in range(self.max_nodes)
        )

    @property
    def lower(self) -> np.ndarray:
        return np.full(self.n_params, -np.inf)

    @property
    def upper(self) -> np.ndarray:
        return np.full(self.n_params, np.inf)

    @property
    def reported(self) -> ReactiveController:
        return ReactiveController(self.n_states)

    # --- trees <-> rows ----------------------------------------------------------------------

    def encode(self, programs: Sequence[Sequence]) -> np.ndarray:
        """Programs (each a pair of DEAP trees) -> rows [M, 4 L]."""
        L = self.max_nodes
        codes = np.zeros((len(programs), 2, L))
        consts = np.zeros((len(programs), 2, L))
        index = {n: i for i, n in enumerate(self.symbols)}
        for m, trees in enumerate(programs):
            for j, tree in enumerate(trees):
                if len(tree) > L:
                    raise ValueError(f"a tree of {len(tree)} nodes does not fit max_nodes = {L}")
                for i, node in enumerate(tree):
                    if _is_constant(node):
                        codes[m, j, i], consts[m, j, i] = index[CONST_NAME], float(node.value)
                    else:
                        codes[m, j, i] = index[node.value if node.arity == 0 else node.name]
        return np.concatenate([codes.reshape(len(programs), -1), consts.reshape(len(programs), -1)], axis=1)

    def _split(self, theta: np.ndarray):
        theta = np.atleast_2d(np.asarray(theta, float))
        if theta.shape[1] != self.n_params:
            raise ValueError(f"program rows must be [M, {self.n_params}], got {theta.shape}")
        m, L = theta.shape[0], self.max_nodes
        return theta[:, : 2 * L].reshape(m, 2, L).astype(np.intp), theta[:, 2 * L :].reshape(m, 2, L)

    def decode(self, row: np.ndarray) -> list:
        """One row [d] -> its pair of DEAP trees."""
        from deap import gp

        codes, consts = self._split(row)
        trees = []
        for j in range(2):
            nodes = []
            for c, v in zip(codes[0, j], consts[0, j], strict=True):
                if c == PAD:
                    break
                name = self.symbols[c]
                nodes.append(
                    gp.Terminal(float(v), False, object) if name == CONST_NAME else self.pset.mapping[name]
                )
            trees.append(gp.PrimitiveTree(nodes))
        return trees

    def render(self, row: np.ndarray, fold: bool = True) -> str:
        """A program as readable infix: ``v_left = ...; v_right = ...``.

        fold: print every subtree that takes one value in all the sensor states in which it is
        evaluated as that value (``s / s`` is 1 for s = 1 and, protected, for s = 0; in
        ``x if s > 0 else y``, ``x`` is read only where s > 0 and ``y`` only where it is not),
        and every ``if_pos`` whose branches agree as its shorter branch, so what is left is the
        structure that depends on the sensor. ``fold=False`` prints the tree as it is.
        """
        trees = self.decode(row)
        return "; ".join(
            f"v_{side} = {self._infix(t, fold)}" for side, t in zip(("left", "right"), trees, strict=True)
        )

    def _infix(self, tree, fold: bool) -> str:
        """Infix text; operands that are operations or negative constants get parentheses."""
        from deap import gp

        states = [tuple(float(v) for v in col) for col in self.state_inputs().T]  # [S] input tuples

        def column(i: int, end: int, rows: tuple[int, ...]) -> tuple[float, ...]:  # value per state
            fn = gp.compile(gp.PrimitiveTree(tree[i:end]), self.pset)
            return tuple(fn(*states[r]) for r in rows)

        def walk(i: int, rows: tuple[int, ...]) -> tuple[str, int, bool]:
            """The subtree at i, read in the sensor states ``rows``: (text, next index, whether
            it needs parentheses as an operand)."""
            node = tree[i]
            end = tree.searchSubtree(i).stop
            if _is_constant(node) or (fold and len(v := set(column(i, end, rows))) == 1):
                value = (float(node.value) if _is_constant(node) else v.pop()) + 0.0  # no "-0"
                return f"{value:.4g}", end, value < 0
            if node.arity == 0:
                return str(node.value), end, False
            if fold and node.name == "if_pos":
                cond_end = tree.searchSubtree(i + 1).stop
                then_end = tree.searchSubtree(cond_end).stop
                positive = [c > 0 for c in column(i + 1, cond_end, rows)]
                branch = None
                if len(set(positive)) == 1:  # a condition of constant sign: only the branch taken
                    branch = cond_end if positive[0] else then_end
                elif column(cond_end, then_end, rows) == column(then_end, end, rows):  # branches agree
                    branch = min((cond_end, then_end), key=lambda k: tree.searchSubtree(k).stop - k)
                if branch is not None:
                    text, _, wrap = walk(branch, rows)
                    return text, end, wrap
                taken = tuple(r for r, p in zip(rows, positive, strict=True) if p)
                other = tuple(r for r, p in zip(rows, positive, strict=True) if not p)
                args = [walk(i + 1, rows), walk(cond_end, taken), walk(then_end, other)]
            else:
                args, j = [], i + 1
                for _ in range(node.arity):
                    args.append(walk(j, rows))
                    j = args[-1][1]
                if fold:  # x / 1, x * 1, 1 * x, x + 0, 0 + x, x - 0 read as x
                    keep = {("div", 1): 0, ("mul", 1): 0, ("mul", 0): 1, ("add", 1): 0, ("add", 0): 1, ("sub", 1): 0}
                    unit = "0" if node.name in ("add", "sub") else "1"
                    for side in (1, 0):
                        if (node.name, side) in keep and len(args) == 2 and args[side][0] == unit:
                            text, _, wrap = args[keep[(node.name, side)]]
                            return text, end, wrap
            texts = [f"({text})" if wrap else text for text, _, wrap in args]
            return PRIMITIVES[node.name][3].format(*texts), end, True

        return walk(0, tuple(range(len(states))))[0]

    # --- batched evaluation ------------------------------------------------------------------

    def evaluate(self, theta: np.ndarray, inputs: np.ndarray) -> np.ndarray:
        """Every program on its own inputs, all at once.

        theta: [M, d]; inputs: [A, M, B] one array per input (``A = len(self.inputs)``);
        returns the two trees' raw outputs [M, B, 2] (not clipped).
        """
        codes, consts = self._split(theta)
        m, _, L = codes.shape
        b = inputs.shape[-1]
        codes = codes.reshape(2 * m, L)  # program p's left tree is row 2p, its right 2p + 1
        consts = consts.reshape(2 * m, L)
        inputs = np.repeat(inputs, 2, axis=1)  # [A, 2M, B]
        arity = np.array([0] + [PRIMITIVES[n][0] for n in PRIMITIVES] + [0] * (len(self.inputs) + 1))
        first_input = 1 + len(PRIMITIVES)
        rows = np.arange(2 * m)
        stack = np.zeros((2 * m, L + 1, b))
        sp = np.zeros(2 * m, dtype=np.intp)  # stack height per tree
        for i in range(L - 1, -1, -1):  # prefix order, read backwards: arguments come first
            code = codes[:, i]
            live = code != PAD
            if not live.any():
                continue
            args = [stack[rows, np.maximum(sp - 1 - k, 0)] for k in range(3)]  # top first: [2M, B]
            out = np.zeros((2 * m, b))
            for c in np.unique(code[live]):
                sel = code == c
                if c < first_input:
                    name = self.symbols[c]
                    n_args, fn = PRIMITIVES[name][0], PRIMITIVES[name][2]
                    out[sel] = fn(*(a[sel] for a in args[:n_args]))
                elif c < first_input + len(self.inputs):
                    out[sel] = inputs[c - first_input][sel]
                else:
                    out[sel] = consts[sel, i][:, None]
            new_sp = np.where(live, sp - arity[code] + 1, sp)
            stack[rows[live], new_sp[live] - 1] = out[live]
            sp = new_sp
        return stack[:, 0].reshape(m, 2, b).transpose(0, 2, 1)

    def state_inputs(self) -> np.ndarray:
        """The inputs in each sensor state: [A, S]."""
        states = np.arange(self.n_states)
        if self.n_states == 2:
            return states[None].astype(float)
        return (states[None, :] == np.arange(1, self.n_states)[:, None]).astype(float)

    def tabulate(self, theta: np.ndarray) -> np.ndarray:
        """Wheel speeds [M, S, 2] of every program in every sensor state, clipped to [-1, 1]."""
        theta = np.atleast_2d(theta)
        inputs = np.broadcast_to(
            self.state_inputs()[:, None, :], (len(self.inputs), len(theta), self.n_states)
        )
        with np.errstate(all="ignore"):
            out = self.evaluate(theta, np.ascontiguousarray(inputs))
        return np.clip(np.nan_to_num(out, nan=0.0, posinf=1.0, neginf=-1.0), -1.0, 1.0)

    def start(self, theta: np.ndarray) -> _TableRun:
        return _TableRun(self.tabulate(theta))

    def report(self, theta: np.ndarray) -> np.ndarray:
        """Effective reactive controller [M, 2 S]."""
        return self.tabulate(theta).reshape(len(np.atleast_2d(theta)), -1)


class _TableRun:
    def __init__(self, table: np.ndarray):
        self.table = table  # [B, S, 2]

    def act(self, sensor: np.ndarray) -> np.ndarray:
        """sensor [B, R] -> wheels [B, R, 2]."""
        return self.table[np.arange(len(self.table))[:, None], sensor]
