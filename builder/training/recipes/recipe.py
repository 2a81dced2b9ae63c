"""The base of a training recipe: what a recipe says about itself (its settings), how it checks the project's
graph against them (one message per node), and what it builds (the trainable model, its generating part).

A recipe is made from the project's `training.recipe` dict; `Recipe.settings` lists its keys, with a default
(None: required) and, for a key that names a node of the graph, `node=True`. Checking a spec and the graph needs no
Keras (shapes come from builder.model's shape inference); building does.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from builder.graph import downstream_nodes, upstream_nodes
from builder.project import shown


@dataclass(frozen=True)
class RecipeSetting:
    """One key of a recipe's spec."""

    name: str
    default: Any  # None: the key is required
    help: str
    node: bool = False  # the value is a node id of the project's graph
    check: Any = None  # value -> problem text or None (numbers, choices)


class Recipe:
    """A way of training a project's graph. Subclasses set `name`, `settings`, `can_generate` and implement
    `graph_problems`, `build_model` and `parts`."""

    name = "supervised"
    settings: tuple[RecipeSetting, ...] = ()
    can_generate = False  # `sample` can draw new samples from its generating part
    takes_steps = False  # its generate() takes `steps` (a diffusion model's sampling steps)
    default_part: str | None = None  # the part `export` writes by default (None: the whole model)
    part_names: tuple[str, ...] = ()  # the names parts() gives (`export --part` offers every recipe's)

    def __init__(self, spec: dict[str, Any] | None = None) -> None:
        spec = dict(spec or {})
        spec.pop("name", None)
        self.spec = {s.name: spec.get(s.name, s.default) for s in self.settings}

    def __getitem__(self, key: str) -> Any:
        return self.spec[key]

    # --- checking ---------------------------------------------------------------------------------------------

    @classmethod
    def spec_problems(cls, spec: dict[str, Any], graph) -> list[str]:
        """The spec's own problems (unknown keys, missing or non-node names, bad numbers), each naming its key;
        with `graph` None node ids are not looked up (a settings form checks a value without the graph)."""
        known = {s.name: s for s in cls.settings}
        problems = [f"training.recipe.{key}: not a setting of the {cls.name} recipe (its settings: "
                    f"{', '.join(known) or 'none'})" for key in spec if key != "name" and key not in known]
        for setting in cls.settings:
            value = spec.get(setting.name, setting.default)
            place = f"training.recipe.{setting.name}"
            if value is None and setting.default is None and setting.node:
                problems.append(f"{place}: the {cls.name} recipe needs it: {setting.help}")
            elif setting.node and value is not None and not isinstance(value, str):
                problems.append(f"{place}: must be a node id (a string); got {shown(value)}")
            elif setting.node and value is not None and graph is not None and value not in graph.nodes:
                problems.append(f"{place}: {shown(value)} is not a node of the graph; give the id of {setting.help}")
            elif setting.check is not None and (value is not None or not setting.node):  # null is no number
                problem = setting.check(value)
                if problem:
                    problems.append(f"{place}: must be {problem}; got {shown(value)}")
        return problems

    def graph_problems(self, graph, report) -> list[str]:
        """Per-node problems of the graph for this recipe ("node 'x': ..."), given a valid shape report."""
        return []

    def layers_model(self, model):
        """The functional model that holds the graph's layers by node id (a Normalization is adapted there)."""
        return model

    def input_node(self, graph) -> str | None:
        """The Input the dataset feeds (the encoder's for a generative recipe)."""
        inputs = graph.input_nodes()
        return inputs[0] if inputs else None

    # --- building (imports Keras) -------------------------------------------------------------------------------

    def build_model(self, project):
        """The trainable keras.Model (not compiled)."""
        raise NotImplementedError

    def compile_arguments(self, project) -> dict[str, Any]:
        """What model.compile takes besides optimizer, jit_compile and steps_per_execution."""
        return {}

    def fit_dataset(self, dataset):
        """The dataset as model.fit takes it (default: unchanged)."""
        return dataset

    @staticmethod
    def placeholder_targets(dataset):
        """The dataset with placeholder targets, for a model that computes its loss from its input alone (a VAE, a
        GAN, a denoiser): Keras carries y along."""
        import numpy as np

        from builder.data import length

        def placeholder(x):
            return np.zeros((length(x),), "float32") if x is not None else None

        return replace(dataset, y_train=placeholder(dataset.x_train), y_val=placeholder(dataset.x_val),
                       y_test=placeholder(dataset.x_test))

    def prerequisites(self) -> list:
        """Models to train before this recipe starts (template_teacher.Prerequisite: a distillation's template
        teacher); the Trainer trains each, its full epochs."""
        return []

    def report(self, model, dataset) -> dict:
        """What the recipe reports after training besides the logged metrics (run.json's `recipe_report`, printed
        by `train`): a distillation's student beside its teacher. Default: nothing."""
        return {}

    def callbacks(self, model) -> list:
        """Keras callbacks the recipe needs during fit (a KL warm-up)."""
        return []

    def parts(self, model) -> dict[str, Any]:
        """The model's named parts ("encoder", "decoder", ...) as keras.Models."""
        return {}

    companion_suffixes: tuple[str, ...] = ()  # the suffixes companion_files() uses (known before a model loads)

    def companion_files(self, model) -> dict[str, str]:
        """Files `export` writes beside the exported part, as {suffix: text} (d.tflite → d<suffix>): what an app
        needs besides the part itself (a diffusion's noise schedule). Default: none."""
        return {}

    def generator(self, model):
        """The generating part (latent -> sample), or None when the recipe cannot generate."""
        return self.parts(model).get("decoder") if self.can_generate else None

    def generate(self, model, count: int, seed: int):
        """`count` new samples (a float32 array, one per row) drawn with `seed`: the same seed gives the same
        samples. Default: the generating part's Input fed latent vectors from N(0, 1)."""
        import numpy as np

        part = self.generator(model)
        shape = tuple(part.inputs[0].shape[1:])
        latents = np.random.default_rng(seed).standard_normal((count, *shape)).astype("float32")
        return np.asarray(part.predict_on_batch(latents), dtype="float32")  # one compiled call: cheap per epoch

    def sample_range(self, model, dataset) -> tuple[float, float]:
        """The lowest and highest value a sample should take (what the generating part learnt to produce), to
        scale samples into pixels. Default: the range of the dataset's validation (else training) samples."""
        return value_span(held_out(dataset)[0][:RANGE_SAMPLES])

    # --- roles (no Keras) ---------------------------------------------------------------------------------------

    def roles(self, graph) -> dict[str, list[str]]:
        """The recipe's roles on the canvas: role name ("encoder", "generator", ...) → the node ids that play it,
        for nodes the spec names validly. Empty for a recipe without roles (supervised)."""
        return {}


RANGE_SAMPLES = 256  # samples whose values give a generated sample's range


def other_input(graph, node_id: str) -> str | None:
    """The graph's first Input that is not `node_id` (the one the dataset feeds, beside a latent or noise Input)."""
    others = [i for i in graph.input_nodes() if i != node_id]
    return others[0] if others else None


def held_out(dataset):
    """(x, y) of the validation split, else of the training split (a dataset without one)."""
    if dataset.x_val is not None and len(dataset.x_val):
        return dataset.x_val, dataset.y_val
    return dataset.x_train, dataset.y_train


def value_span(values) -> tuple[float, float]:
    """The lowest and highest of `values` (as float32); (low, low + 1) when they are all equal."""
    import numpy as np

    values = np.asarray(values, "float32")
    low, high = float(np.min(values)), float(np.max(values))
    return (low, high) if high > low else (low, low + 1.0)


def reachable_from(graph, starts) -> list[str]:
    """The node ids reachable from `starts` (included) along the graph's wires, in the graph's order."""
    seen = {s for s in starts if s in graph.nodes}
    for start in list(seen):
        seen |= downstream_nodes(graph, start)
    return [n for n in graph.nodes if n in seen]


def reaching(graph, ends) -> list[str]:
    """The node ids from which one of `ends` (included) is reachable: what computes them, in the graph's order."""
    seen = {e for e in ends if e in graph.nodes}
    for end in list(seen):
        seen |= upstream_nodes(graph, end)
    return [n for n in graph.nodes if n in seen]


def node_shape(report, node_id: str) -> tuple | None:
    """A node's first output shape without the batch dimension (None when unknown)."""
    result = report.nodes.get(node_id)
    if result is None or not result.ok or result.shape is None:
        return None
    return tuple(result.shape)[1:]


def shape_text(shape) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + (",)" if len(shape) == 1 else ")")


def whole_at_least(low: int):
    def check(value):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            return f"a whole number of at least {low}"
        return None
    return check


def whole_between(low: int, high: int):
    def check(value):
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            return f"a whole number from {low} to {high:,}"
        return None
    return check


def number_at_least(low: float):
    def check(value):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= low \
                or value == float("inf"):
            return f"a finite number of at least {low}"
        return None
    return check


def one_of(*choices: str):
    def check(value):
        return None if value in choices else "one of " + ", ".join(choices)
    return check


def fraction(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        return "a number from 0 to 1"
    return None


def positive(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < float("inf"):
        return "a finite number above 0"
    return None


def below_one(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        return "a number from 0 up to (not including) 1"
    return None
