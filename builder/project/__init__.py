"""Projects: the project record (graph, dataset, training settings), project files and the shipped templates."""
from builder.project.files import FORMAT, VERSION, load_project, project_from_dict, project_to_dict, save_project
from builder.project.record import RECONSTRUCTION, DatasetRef, Project, TrainingConfig, field_names, resolve_inside
from builder.project.templates import TEMPLATES_DIR, TemplateInfo, list_templates, load_template, template_path

__all__ = [
    "FORMAT", "RECONSTRUCTION", "TEMPLATES_DIR", "VERSION", "DatasetRef", "Project", "TemplateInfo", "TrainingConfig",
    "field_names", "list_templates", "load_project", "load_template", "project_from_dict", "project_to_dict",
    "resolve_inside", "save_project", "template_path",
]
