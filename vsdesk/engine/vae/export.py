"""``vsdesk models export vae FOLDER``: the VAE in use (shipped, imported) copied out with what
belongs with it, so that ``vsdesk models import vae FOLDER/vae.weights.h5`` takes it all in again,
here or on another computer."""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

from vsdesk.engine.files import export_target
from vsdesk.engine.models.cache import companion_path
from vsdesk.engine.vae import model as vae_model
from vsdesk.engine.vae import nearness


def export_vae(target: str | os.PathLike) -> Path:
    """Copy the VAE weights the store gives now into the new folder ``target`` as
    ``vae.weights.h5``, with the metadata and training latents beside them, and write the
    nearness reference made for them (the one beside them, else the engine's cached one, else
    made now: seconds), so the copy's first query does not make it. Nothing is overwritten: a
    ``target`` that exists and is not an empty folder is refused (``FileExistsError``)."""
    from vsdesk.engine.vae.engine import VaeEngine

    target = export_target(target)
    engine = VaeEngine.load()
    quantiles = engine.nearness_quantiles()  # before anything is written: a failure leaves nothing
    weights = target / vae_model.WEIGHTS_NAME
    copies = {companion_path(engine.weights_path, suffix): companion_path(weights, suffix)
              for suffix in (vae_model.METADATA_SUFFIX, vae_model.LATENTS_SUFFIX)}
    copies = {engine.weights_path: weights} | {source: copy for source, copy in copies.items() if source.is_file()}
    made = [folder for folder in (target, *target.parents) if not folder.exists()]  # deepest first
    target.mkdir(parents=True, exist_ok=True)
    try:
        for source, copy in copies.items():
            shutil.copyfile(source, copy)
        nearness.write_reference(weights, engine.weights_sha256, quantiles)
    except BaseException:  # (a full disk): no half copy left, nor a folder the user did not have
        for copy in [*copies.values(), companion_path(weights, nearness.SUFFIX)]:
            copy.unlink(missing_ok=True)
        for folder in made:
            with contextlib.suppress(OSError):  # (something else put there meanwhile: kept)
                folder.rmdir()
        raise
    return target
