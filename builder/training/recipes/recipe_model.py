"""The base of the recipes' Keras models (a VAE, a GAN, a denoiser, a distillation): their config is their sub-models
(serialised whole, so a checkpoint is one .keras file), their dtype policy (a mixed-precision run's loss-scale
optimizer state loads back) and their plain settings, each read from the attribute of its name."""
from __future__ import annotations

import keras


class RecipeModel(keras.Model):
    """Subclasses name their sub-model attributes in `submodel_names` and their other constructor arguments in
    `setting_names`; both are constructor keywords of the same names."""

    submodel_names: tuple[str, ...] = ()
    setting_names: tuple[str, ...] = ()

    def get_config(self):
        return {"name": self.name, "dtype": keras.saving.serialize_keras_object(self.dtype_policy),
                **{key: keras.saving.serialize_keras_object(getattr(self, key)) for key in self.submodel_names},
                **{key: getattr(self, key) for key in self.setting_names}}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        parts = {key: keras.saving.deserialize_keras_object(config.pop(key)) for key in cls.submodel_names}
        return cls(**parts, **config)
