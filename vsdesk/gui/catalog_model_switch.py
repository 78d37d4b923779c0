"""Product: the catalog shown indexed with another of the models the user has (trained or
imported), once the user has chosen it in the dialog that says how many images are embedded
again (as `vsdesk index --model` does): the model switch's part of ``TabCatalog``, its choices
looked up in the slot "<mode>/models"."""

from __future__ import annotations

import html
import logging
from typing import TYPE_CHECKING

from vsdesk.engine.session import CatalogSnapshot
from vsdesk.engine.text import counted
from vsdesk.gui.catalog_texts import model_name
from vsdesk.gui.errors import user_message

if TYPE_CHECKING:
    from vsdesk.engine.session import ModeSession
    from vsdesk.gui.message_bar import MessageBar
    from vsdesk.gui.model_dialog import ModelChoiceDialog
    from vsdesk.gui.worker import TaskRunner

log = logging.getLogger(__name__)


class CatalogModelSwitch:
    """Mixed into ``TabCatalog``: uses the attributes declared below, its ``open`` and messages."""

    # What it uses of ``TabCatalog``'s state, all set in its ``__init__`` (declared here for readers
    # and type checkers; tests/test_gui_catalog_mixins.py checks that a built tab has each, and
    # that every ``self.X`` used here is one of these or one of the tab's methods and signals).
    mode: str
    name: str
    session: ModeSession
    runner: TaskRunner
    messages: MessageBar
    snapshot: CatalogSnapshot | None
    model_dialog: ModelChoiceDialog | None

    def ask_for_model(self) -> None:
        """Product: index the catalog shown with another of the models the user has, once the
        user has chosen it, told how many images are embedded again (`vsdesk index --model`)."""
        snapshot = self.snapshot
        if snapshot is None or snapshot.name != self.name:
            return
        name = snapshot.name

        def look(ctx):  # the models' small files, and a scan of the catalog's folders: not on this thread
            from vsdesk.engine.catalog import CatalogError

            choices = self.session.model_choices()
            try:
                counts = self.session.images_to_embed(name, [choice.name for choice in choices]) \
                    if len(choices) > 1 else []
            except (OSError, CatalogError) as exc:  # the dialog then says the images the catalog holds
                log.warning("the images a model switch of catalog %r embeds could not be counted: %s", name, exc)
                counts = []
            return choices, dict(zip([choice.name for choice in choices], counts))

        self.runner.submit(
            f"{self.mode}/models",
            look,
            worker="io",
            on_done=lambda result: self._choose_catalog_model(snapshot, *result),
            on_error=lambda exc: self.messages.error(user_message(exc, "list the product models")),
        )

    def _choose_catalog_model(self, asked_for: CatalogSnapshot, choices: list, to_embed: dict | None = None) -> None:
        snapshot = self.snapshot  # (told more meanwhile, perhaps: the classes its model predicts)
        if snapshot is None or not snapshot.same_rows(asked_for) or self.is_opening():
            return  # another catalog, or an index run, meanwhile: the menu waits for it
        name = snapshot.name
        if len(choices) < 2:
            self.messages.info(f"The catalog “{name}” can only be indexed with the shipped model: no other product "
                               "model is installed. `vsdesk train product --data PATH --out NAME` trains one, "
                               "`vsdesk models import product/NAME FOLDER` adds one; then choose it here.")
            return
        from vsdesk.gui.model_dialog import ModelChoiceDialog

        to_embed = to_embed or {}

        def images(model: str | None) -> str:
            """The images indexing with ``model`` embeds (its folders' files, less those it has
            vectors of already), in words; the catalog's own count if that was not told."""
            return counted(to_embed.get(model, len(snapshot)), "image")

        def words(model: str | None) -> tuple[str, str]:
            keep = "The catalog keeps that model: its searches, and `vsdesk search`, use it too."
            if model == snapshot.model:  # (OK is off: nothing to change)
                return "Re-index", f"Choose another model: the images it has no vectors of are embedded by it. {keep}"
            if to_embed.get(model, len(snapshot)) == 0:
                return "Change model", f"Every image has a vector of that model already: none is embedded. {keep}"
            return (f"Re-index {images(model)}",
                    f"Its <b>{images(model)}</b> are embedded by the model chosen, in the background (the catalog "
                    f"bar's Cancel stops it, the catalog kept as it is now). {keep}")

        dialog = ModelChoiceDialog(
            "", choices, self.parent(), title="Product model", current=snapshot.model,
            intro=f"Which product model should index the catalog <b>{html.escape(name)}</b>?<br>It is indexed now "
                  f"with {html.escape(model_name(snapshot))}.", footer=" ")
        dialog.follow_choice(words)
        self.model_dialog = dialog

        def answered(result: int) -> None:
            self.model_dialog = None
            dialog.deleteLater()
            if result == ModelChoiceDialog.DialogCode.Accepted and self.name == name and not self.is_opening():
                chosen = dialog.chosen()
                self._note_until_opened(f"The catalog “{name}” is indexed again with "
                                        f"{chosen or 'the shipped model'}: its {images(chosen)} are embedded in the "
                                        "background.")
                self.open(name, model=chosen)

        dialog.finished.connect(answered)
        dialog.open()  # window-modal; the window keeps painting
