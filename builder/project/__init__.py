"""Projects: the project record (graph, dataset, training settings), project files and the shipped templates."""
from builder.project.clipboard import (PastePlan, apply_paste, clipboard_data, clipboard_text, copy_selection,
                                       paste_plan, remove_paste)
from builder.project.files import FORMAT, VERSION, load_project, project_from_dict, project_to_dict, save_project
from builder.project.recent_files import (MAX_RECENT, add_recent_file, clear_recent_files, recent_files,
                                          remove_recent_file)
from builder.project.record import RECONSTRUCTION, DatasetRef, Project, TrainingConfig, field_names, resolve_inside
from builder.project.recovery import (RecoveryFile, RecoveryScan, RestoredProject, list_recoveries, new_recovery_path,
                                      pid_alive, read_recovery, remove_recovery, restore_project, write_recovery)
from builder.project.renaming import Renaming, apply_renaming, plan_rename, rename_node, undo_renaming
from builder.project.shared_layers import weight_groups_after_removal
from builder.project.templates import (NOT_MEASURED, NUMBER_KEYS, NUMBERS_FILE, TASKS, TEMPLATES_DIR, TemplateInfo,
                                      list_templates, load_template, metric_text, parameters_text, read_numbers,
                                      template_path, training_text)
from builder.project.user_data import recovery_dir, user_data_dir
from builder.project.validation import (MAX_LEARNING_RATE, SCHEDULE_SETTINGS, STRATEGIES, learning_rate_problem,
                                        name_problem, patience_problem, project_problems, shown, validate_project)

__all__ = [
    "weight_groups_after_removal",
    "FORMAT", "RECONSTRUCTION", "TEMPLATES_DIR", "VERSION", "DatasetRef", "Project", "TemplateInfo", "TrainingConfig",
    "field_names", "list_templates", "load_project", "load_template", "project_from_dict", "project_to_dict",
    "resolve_inside", "save_project", "template_path", "user_data_dir",
    # the template gallery: tasks to filter by, measured numbers (bench/templates.py):
    "NOT_MEASURED", "NUMBER_KEYS", "NUMBERS_FILE", "TASKS", "metric_text", "parameters_text", "read_numbers",
    "training_text",
    # validation of a whole project, and the ranges live changes share:
    "MAX_LEARNING_RATE", "SCHEDULE_SETTINGS", "STRATEGIES", "learning_rate_problem", "name_problem",
    "patience_problem", "project_problems", "shown", "validate_project",
    # renaming a node and what refers to it:
    "Renaming", "apply_renaming", "plan_rename", "rename_node", "undo_renaming",
    # recovery files (autosaves kept until saved or discarded) and the recent files list:
    "RecoveryFile", "RecoveryScan", "RestoredProject", "list_recoveries", "new_recovery_path", "pid_alive",
    "read_recovery", "recovery_dir", "remove_recovery", "restore_project", "write_recovery",
    "MAX_RECENT", "add_recent_file", "clear_recent_files", "recent_files", "remove_recent_file",
    # the clipboard's blocks (copy, paste with fresh ids):
    "PastePlan", "apply_paste", "clipboard_data", "clipboard_text", "copy_selection", "paste_plan", "remove_paste",
]
