"""The knowledge-distillation recipe. The project's graph is the student: a classifier ending in softmax, trained
on the project's dataset. A trained teacher (a .keras file, or a run folder holding model.keras, given relative to
the project's folder) adds its softened outputs to the loss: alpha · CE(labels, student) + (1 − alpha) · T² ·
KL(teacher_T ‖ student_T) at temperature T (see distillation_model). The student is the part that ships.

Checks: the teacher file exists and loads (safe mode), takes the student's input shape and has as many outputs as
the student's classifier has units.
"""
from __future__ import annotations

from pathlib import Path

from builder.errors import LayerboardError
from builder.project import resolve_inside, shown
from builder.training.recipes.recipe import (
    Recipe, RecipeSetting, fraction, held_out, node_shape, positive, shape_text,
)
from builder.training.recipes.template_teacher import (
    cached_teacher, require_template, teacher_prerequisite, teacher_project, template_name, template_problem,
)

MODEL_FILE = "model.keras"
TEACHER_HELP = ("the trained teacher: a .keras file or a run folder holding model.keras, relative to the project's "
                "folder, or template:NAME (a gallery template, trained once first)")


def ends_in_softmax(node) -> bool:
    """A Softmax block, or a block whose activation is softmax (Dense, Activation, ...)."""
    return node.type == "Softmax" or node.params.get("activation") == "softmax"


class DistillationRecipe(Recipe):
    part_names = ("student",)
    name = "distillation"
    default_part = "student"
    folder: Path | None = None  # the project's folder (set by project_recipe): the teacher's path is relative to it
    settings = (
        RecipeSetting("teacher", "", TEACHER_HELP),  # required (a path, so the form gives a text field)
        RecipeSetting("temperature", 4.0, "T: both models' logits are divided by it before the softmax (above 1 "
                      "softens them)", check=positive),
        RecipeSetting("alpha", 0.1, "the weight of the true-label loss; 1 - alpha weighs the teacher's outputs",
                      check=fraction),
    )

    @classmethod
    def spec_problems(cls, spec, graph) -> list[str]:
        problems = super().spec_problems(spec, graph)
        teacher = spec.get("teacher")
        if teacher is None or teacher == "":
            problems.append(f"training.recipe.teacher: the distillation recipe needs it: {TEACHER_HELP}")
        elif not isinstance(teacher, str):
            problems.append(f"training.recipe.teacher: must be a path (a string); got {shown(teacher)}")
        elif template_name(teacher) is not None and template_problem(template_name(teacher)):
            problems.append(f"training.recipe.teacher: {template_problem(template_name(teacher))}")
        return problems

    def prerequisites(self) -> list:
        """A template teacher not trained yet is trained first (once)."""
        name = template_name(self["teacher"])
        found = teacher_prerequisite(name) if name else None
        return [found] if found else []

    def teacher_path(self, folder) -> Path:
        """The teacher's model file; LayerboardError naming the path and the fix when it is not there."""
        given = self["teacher"]
        if template_name(given) is not None:
            require_template(template_name(given))
            path = cached_teacher(template_name(given))
            if not path.is_file():
                raise LayerboardError(f"training.recipe.teacher: the template teacher {given!r} is not trained yet "
                                      f"({path} not found); `python main.py train` trains it first")
            return path
        path = resolve_inside(Path(folder or "."), given)  # refuses a path outside the project's folder
        if path.is_dir():
            path = path / MODEL_FILE
        if not path.is_file():
            raise LayerboardError(f"training.recipe.teacher: {path} not found; train the teacher first, or give "
                                  f"{TEACHER_HELP} (got {shown(given)})")
        return path

    def load_teacher(self, folder):
        """The teacher as a functional classifier: a distillation run's model gives its student (distillations
        chain); anything else without inputs (another recipe's model) is refused by name."""
        from builder.model import UnreadableModelError, load_model_safely
        from builder.training.recipes.distillation_model import DistillationModel  # registers the class

        path = self.teacher_path(folder)
        try:
            teacher = load_model_safely(path, compile=False)
        except UnreadableModelError as exc:
            raise LayerboardError(f"training.recipe.teacher: {exc}; give a .keras model the teacher's training "
                                  "wrote (a run's model.keras)") from None
        if isinstance(teacher, DistillationModel):
            return teacher.student
        if not getattr(teacher, "inputs", None) or not getattr(teacher, "outputs", None):
            raise LayerboardError(f"training.recipe.teacher: {path} holds a {type(teacher).__name__}, not a "
                                  "classifier; give a trained classifier's model.keras (or a distillation run's)")
        return teacher

    def teacher_shapes(self) -> tuple[tuple, int | None]:
        """(the teacher's input shape, its class count): a template teacher's from its graph (no Keras), a file's
        from the loaded model."""
        name = template_name(self["teacher"])
        if name is not None:
            require_template(name)
            from builder.model import infer_shapes

            project = teacher_project(name)
            report = infer_shapes(project.graph, project.folder())
            inputs, outputs = project.graph.input_nodes(), project.graph.output_nodes()
            shape = node_shape(report, inputs[0]) if inputs else None
            classes = node_shape(report, outputs[0]) if outputs else None
            return tuple(shape or ()), (classes[-1] if classes else None)
        teacher = self.load_teacher(self.folder)
        return tuple(teacher.inputs[0].shape[1:]), teacher.outputs[0].shape[-1]

    def graph_problems(self, graph, report) -> list[str]:
        try:
            teacher_input, classes = self.teacher_shapes()
        except LayerboardError as exc:
            return [str(exc).removeprefix("training.recipe.")]
        problems = []
        inputs, outputs = graph.input_nodes(), graph.output_nodes()
        if inputs:
            want = node_shape(report, inputs[0])
            got = teacher_input
            if want is not None and tuple(want) != got:
                problems.append(f"node '{inputs[0]}': the student's Input has shape {shape_text(want)} but the "
                                f"teacher takes {shape_text(got)}; both must read the dataset's samples")
        if outputs and not ends_in_softmax(graph.nodes[outputs[0]]):
            problems.append(f"node '{outputs[0]}': the student must end in softmax (class probabilities, compared "
                            "with the teacher's); give it activation softmax")
        if outputs:
            units = node_shape(report, outputs[0])
            if units is not None and units[-1:] != (classes,):
                problems.append(f"node '{outputs[0]}': the student gives {shape_text(units)} but the teacher "
                                f"gives {classes} class probabilities; give it {classes} units (softmax)")
        return problems

    def build_model(self, project):
        from builder.model import build_model
        from builder.training.recipes.distillation_model import DistillationModel

        student = build_model(project.graph, name="student", folder=project.folder())
        teacher = self.load_teacher(project.folder())
        model = DistillationModel(student, teacher, temperature=float(self["temperature"]),
                                  alpha=float(self["alpha"]),
                                  one_hot=project.training.loss == "categorical_crossentropy", name=project.name)
        model.build(student.inputs[0].shape)
        return model

    def compile_arguments(self, project) -> dict:
        """The project's metrics of the student; "accuracy" is the class accuracy (no loss is compiled from which
        Keras could tell sparse labels from one-hot ones)."""
        import keras

        one_hot = project.training.loss == "categorical_crossentropy"
        metrics = project.training.metrics if isinstance(project.training.metrics, list) else ["accuracy"]
        accuracy = (keras.metrics.CategoricalAccuracy if one_hot else keras.metrics.SparseCategoricalAccuracy)
        return {"metrics": [accuracy(name="accuracy") if m in ("accuracy", "acc") else m for m in metrics]}

    def layers_model(self, model):
        return model.student

    def parts(self, model) -> dict:
        return {"student": model.student}

    def report(self, model, dataset) -> dict:
        """The student beside its teacher: validation accuracy (the student's and the frozen teacher's on the same
        samples) and parameter counts, so a user sees what the smaller model costs."""
        import numpy as np

        x, y = held_out(dataset)
        labels = np.asarray(y)
        labels = labels.argmax(-1) if labels.ndim > 1 and labels.shape[-1] > 1 else labels.reshape(-1)

        def accuracy(part):
            predicted = np.asarray(part.predict(x, verbose=0, batch_size=256)).argmax(-1)
            return round(float(np.mean(predicted == labels)), 4)

        teacher, student = model.teacher.count_params(), model.student.count_params()
        return {"teacher": {"parameters": int(teacher), "val_accuracy": accuracy(model.teacher)},
                "student": {"parameters": int(student), "val_accuracy": accuracy(model.student)},
                "size_ratio": round(student / teacher, 4) if teacher else None}

    def roles(self, graph) -> dict[str, list[str]]:
        """The whole graph is the student (the teacher is a trained file, not drawn)."""
        return {"student": list(graph.nodes)}
