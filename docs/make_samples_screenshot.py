"""Screenshot of the training panel watching the digits_vae template learn: beside the loss curves, the grid of
samples the run draws after each epoch from one fixed seed, and below it a walk through the VAE's latent space
between two validation samples (Interpolate, pressed once the run has finished).

Usage (needs a display): xvfb-run -a -s "-screen 0 1600x1000x24" python docs/make_samples_screenshot.py \
    docs/screenshot-samples.png [TEMPLATE [EPOCHS]]      # another generative template: digits_dcgan, digits_diffusion
"""
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import screenshot_window  # noqa: E402 - the app's preferences in a temporary folder, not the user's

EPOCHS = 25


def main() -> None:
    """Training runs in a spawned child process, which imports this file again: nothing happens at import."""
    from PySide6.QtCore import QTimer

    app = screenshot_window.application("light")
    from builder.project import load_template, save_project
    from ui.document.document import Document
    from ui.panels.training_panel import TrainingPanel
    from ui.workers.training_controller import TrainingController

    target = sys.argv[1] if len(sys.argv) > 1 else str(Path(__file__).with_name("screenshot-samples.png"))
    folder = Path(tempfile.mkdtemp(prefix="layerboard-samples-"))  # the runs go beside the project, not in docs/
    name = sys.argv[2] if len(sys.argv) > 2 else "digits_vae"
    epochs = int(sys.argv[3]) if len(sys.argv) > 3 else EPOCHS
    project = load_template(name)
    project.training.epochs = epochs
    save_project(project, folder / f"{name}.json")
    document = Document.from_file(folder / f"{name}.json")
    controller = TrainingController()
    panel = TrainingPanel(controller)
    panel.resize(1500, 440)
    panel.show()
    panel.set_engine_ready()
    panel.set_document(document)
    grid = panel.sample_grid

    def finished(result):
        if grid.interpolate_button.isVisible():
            grid.interpolate_button.click()
            wait_for_walk()
        else:  # a recipe without a latent space to walk (a GAN, a diffusion model)
            QTimer.singleShot(300, grab)

    def wait_for_walk():
        if grid.interpolate_button.isEnabled():
            QTimer.singleShot(300, grab)
        else:
            QTimer.singleShot(200, wait_for_walk)

    def grab():
        screenshot_window.save_png(panel, target)
        app.quit()

    controller.finished.connect(finished)
    controller.failed.connect(lambda message: (print("training failed:", message), app.quit()))
    controller.start(document.project, epochs=epochs)
    QTimer.singleShot(240_000, app.quit)
    app.exec()
    controller.shutdown()
    document.close()


if __name__ == "__main__":
    main()
