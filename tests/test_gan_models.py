"""Generator/discriminator builders, the GAN model's train step, and the input pipeline."""

import keras
import numpy as np
import pytest

from refs.gan.data import batches_per_pass, gan_dataset, scale_images
from refs.gan.gan import GAN
from refs.gan.models import build_discriminator, build_generator
from refs.losses import WassersteinCriticLoss, get_loss_pair


def test_tutorial_networks_have_the_tutorials_parameter_counts():
    """The TF DCGAN tutorial's summaries: 2,330,944 (generator) and 212,865 (discriminator)."""
    g, d = build_generator("tutorial"), build_discriminator("tutorial")
    assert g.count_params() == 2_330_944
    assert d.count_params() == 212_865
    assert g.inputs[0].shape[-1] == 100
    kinds = [type(layer).__name__ for layer in d.layers]
    assert kinds.count("Dropout") == 2 and kinds.count("Conv2D") == 2


@pytest.mark.parametrize("arch, width", [("infogan", 8), ("lean", 8), ("tutorial", None)])
def test_shapes_and_ranges(arch, width):
    g = build_generator(arch, width=width)
    d = build_discriminator(arch, width=width)
    z = keras.random.normal((3, g.inputs[0].shape[-1]), seed=0)
    images = keras.ops.convert_to_numpy(g(z))
    assert images.shape == (3, 28, 28, 1)
    assert images.min() >= -1.0 and images.max() <= 1.0
    assert tuple(d(images).shape) == (3, 1)


@pytest.mark.parametrize("width, latent", [(64, 64), (8, 5)])
def test_infogan_networks_have_the_closed_form_parameter_counts(width, latent):
    """Counted by hand from the layer list (BN: 4 per channel; convs before BN have no bias)."""
    w, fc = width, 16 * width
    g_expected = (latent * fc + 4 * fc            # Dense(fc) + BN
                  + fc * 98 * w + 4 * 98 * w      # Dense(7*7*2w) + BN
                  + 16 * 2 * w * w + 4 * w        # Conv2DTranspose(w, 4x4) + BN
                  + 16 * w + 1)                   # Conv2DTranspose(1, 4x4) with bias
    d_expected = (16 * w + w                      # Conv2D(w, 4x4) with bias
                  + 16 * w * 2 * w + 8 * w        # Conv2D(2w, 4x4) + BN
                  + 98 * w * fc + 4 * fc          # Dense(fc) + BN
                  + fc + 1)                       # Dense(1)
    g = build_generator("infogan", latent_dim=latent, width=width)
    d = build_discriminator("infogan", width=width)
    assert g.count_params() == g_expected
    assert d.count_params() == d_expected
    if width == 64:   # the InfoGAN paper's 1024-unit fully connected layers
        assert g_expected == 6_649_601 and d_expected == 6_560_321
    # It is "lean" plus one fully connected layer in each network.
    assert g.count_params() - build_generator("lean", latent_dim=latent,
                                              width=width).count_params() == (
        latent * fc + 4 * fc + (fc - latent) * 98 * w)
    dense = [layer.units for layer in d.layers if isinstance(layer, keras.layers.Dense)]
    assert dense == [fc, 1]


def test_infogan_is_the_default_architecture():
    from refs.gan.models import DEFAULT_ARCH
    from refs.gan.train import TrainConfig, build_parser

    assert DEFAULT_ARCH == "infogan"
    assert TrainConfig().arch == "infogan" and build_parser().parse_args([]).arch == "infogan"
    # The settings of the measured time-to-quality run (docs/benchmarks.md).
    args = build_parser().parse_args([])
    assert (args.batch_size, args.lr, args.beta_1, args.loss) == (64, 2e-4, 0.5, "non-saturating")
    assert TrainConfig().batch_size == 64 and TrainConfig().epochs == args.epochs == 4
    assert build_generator().name == "generator_infogan"


def test_xla_is_on_by_default_except_for_the_tutorial_networks_on_a_cpu():
    import tensorflow as tf

    from refs.gan.trainer import default_jit

    gpu = bool(tf.config.list_physical_devices("GPU"))
    assert default_jit("infogan") and default_jit("lean")
    assert default_jit("tutorial") == gpu


def test_lean_is_cheaper_than_tutorial_and_width_scales():
    assert build_generator("lean", width=64).count_params() < build_generator(
        "tutorial").count_params()
    assert build_generator("lean", width=16).count_params() < build_generator(
        "lean", width=32).count_params()


def test_bad_builder_arguments():
    with pytest.raises(ValueError, match="arch must be one of"):
        build_generator("resnet")
    with pytest.raises(ValueError, match="width"):
        build_generator("lean", width=0)
    with pytest.raises(ValueError, match="tutorial"):
        build_discriminator("tutorial", width=32)


def test_scale_and_batches():
    x = np.array([[[0, 255]]], np.uint8).repeat(2, 1)
    s = scale_images(x)
    assert s.shape == (1, 2, 2, 1) and s.min() == -1.0 and s.max() == 1.0
    assert batches_per_pass(1000, 128) == 7
    with pytest.raises(ValueError, match="batch_size"):
        batches_per_pass(10, 128)


def test_dataset_is_a_pure_function_of_seed_and_step():
    """Batches from start_step=k equal batch k of a fresh stream, across pass boundaries."""
    images = np.random.default_rng(0).integers(0, 256, (50, 28, 28), dtype=np.uint8)
    full = [b.numpy() for b in gan_dataset(images, 8, seed=3).take(14)]  # 6 batches per pass
    resumed = [b.numpy() for b in gan_dataset(images, 8, seed=3, start_step=9).take(5)]
    for a, b in zip(full[9:], resumed):
        np.testing.assert_array_equal(a, b)
    first_pass = np.concatenate(full[:6]).reshape(48, -1)
    assert len({row.tobytes() for row in first_pass}) == 48   # no repeats within a pass
    assert not np.array_equal(full[0], full[6])                # reshuffled each pass
    other_seed = next(iter(gan_dataset(images, 8, seed=4))).numpy()
    assert not np.array_equal(full[0], other_seed)


def _tiny_gan(loss="non-saturating", seed=0):
    keras.utils.set_random_seed(seed)
    gan = GAN(build_generator("lean", latent_dim=8, width=4),
              build_discriminator("lean", width=4, batch_norm=loss != "wgan-gp"), seed=seed)
    d_loss, g_loss = get_loss_pair(loss)
    gan.compile(keras.optimizers.Adam(1e-3, beta_1=0.5), keras.optimizers.Adam(1e-3, beta_1=0.5),
                d_loss, g_loss, jit_compile=False)
    return gan


@pytest.mark.parametrize("loss", ["minimax", "non-saturating", "wgan-gp", "lsgan", "hinge"])
def test_fit_updates_both_networks_and_logs(loss):
    images = np.random.default_rng(1).integers(0, 256, (64, 28, 28), dtype=np.uint8)
    gan = _tiny_gan(loss)
    g0 = [w.numpy().copy() for w in gan.generator.trainable_weights]
    d0 = [w.numpy().copy() for w in gan.discriminator.trainable_weights]
    history = gan.fit(gan_dataset(images, 16), epochs=1, steps_per_epoch=3, verbose=0,
                      shuffle=False)
    assert set(history.history) == {"d_loss", "g_loss", "d_real", "d_fake", "g_grad_norm"}
    assert all(np.isfinite(v[-1]) for v in history.history.values())
    assert 0.0 <= history.history["d_real"][-1] <= 1.0
    assert any(not np.allclose(a, w.numpy()) for a, w in zip(g0, gan.generator.trainable_weights))
    assert any(not np.allclose(a, w.numpy())
               for a, w in zip(d0, gan.discriminator.trainable_weights))
    assert int(gan.g_optimizer.iterations) == 3 and int(gan.d_optimizer.iterations) == 3


def test_gradient_penalty_of_a_linear_critic():
    """For D(x) = w.x + b the gradient is w everywhere, so the penalty is (||w|| - 1)^2."""
    critic = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),
                               keras.layers.Dense(1)])
    w = np.random.default_rng(0).normal(0, 0.1, (784, 1)).astype("float32")
    critic.layers[-1].set_weights([w, np.zeros(1, "float32")])
    gan = GAN(build_generator("lean", latent_dim=8, width=4), critic, seed=0)
    gan.compile(keras.optimizers.Adam(), keras.optimizers.Adam(), WassersteinCriticLoss(),
                get_loss_pair("wgan-gp")[1])
    real = np.random.default_rng(1).uniform(-1, 1, (5, 28, 28, 1)).astype("float32")
    fake = np.random.default_rng(2).uniform(-1, 1, (5, 28, 28, 1)).astype("float32")
    gp = float(gan._gradient_penalty(keras.ops.convert_to_tensor(real),
                                     keras.ops.convert_to_tensor(fake)))
    np.testing.assert_allclose(gp, (np.linalg.norm(w) - 1.0) ** 2, rtol=1e-4)


def test_compile_rejects_non_callable_losses():
    gan = GAN(build_generator("lean", latent_dim=8, width=4), build_discriminator("lean", width=4))
    with pytest.raises(TypeError, match="callables"):
        gan.compile(keras.optimizers.Adam(), keras.optimizers.Adam(), "bce", None)


def test_mixed_precision_wraps_optimizers_and_trains():
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        gan = _tiny_gan()
        assert isinstance(gan.d_optimizer, keras.optimizers.LossScaleOptimizer)
        assert gan.generator.layers[1].compute_dtype == "float16"
        images = np.random.default_rng(2).integers(0, 256, (64, 28, 28), dtype=np.uint8)
        history = gan.fit(gan_dataset(images, 16), epochs=1, steps_per_epoch=2, verbose=0,
                          shuffle=False)
        assert all(np.isfinite(v[-1]) for v in history.history.values())
        assert gan.generator.output.dtype == "float32"   # images and logits stay float32
    finally:
        keras.mixed_precision.set_global_policy("float32")


def test_sampler_is_the_generator_without_a_weight_average():
    gan = _tiny_gan()
    gan.build_optimizers()
    assert gan.sampler() is gan.generator


def test_sampler_holds_the_exponential_average_of_the_generator_weights():
    """avg_1 = w_1 (after the first update), avg_t = m avg_(t-1) + (1 - m) w_t: recomputed
    here from the generator's weights after each step, and compared with what sampler() holds;
    batch-norm statistics are the generator's own; the copy is not part of the GAN's variables."""
    m = 0.9
    keras.utils.set_random_seed(0)
    gan = GAN(build_generator("lean", latent_dim=8, width=4),
              build_discriminator("lean", width=4), seed=0)
    d_loss, g_loss = get_loss_pair("non-saturating")
    gan.compile(keras.optimizers.Adam(1e-2, beta_1=0.5),
                keras.optimizers.Adam(1e-2, beta_1=0.5, use_ema=True, ema_momentum=m),
                d_loss, g_loss, jit_compile=False)
    gan.build_optimizers()
    n_variables = len(gan.variables)
    images = np.random.default_rng(1).integers(0, 256, (48, 28, 28), dtype=np.uint8)

    class Record(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.after = []

        def on_train_batch_end(self, batch, logs=None):
            self.after.append([w.numpy().copy() for w in gan.generator.trainable_weights])

    record = Record()
    gan.fit(gan_dataset(images, 16), epochs=1, steps_per_epoch=3, verbose=0, shuffle=False,
            callbacks=[record])
    expected = record.after[0]
    for weights in record.after[1:]:
        expected = [m * e + (1 - m) * w for e, w in zip(expected, weights)]
    sampler = gan.sampler()
    assert sampler is not gan.generator
    trainable = {id(v) for v in gan.generator.trainable_weights}
    averaged = [s for s, g in zip(sampler.weights, gan.generator.weights) if id(g) in trainable]
    assert len(averaged) == len(expected)
    for got, want in zip(averaged, expected):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-6)
    assert any(not np.allclose(w, now) for w, now in zip(expected, record.after[-1]))
    for s, g in zip(sampler.weights, gan.generator.weights):
        if id(g) not in trainable:  # batch-norm moving statistics: copied, not averaged
            np.testing.assert_array_equal(s.numpy(), g.numpy())
    assert len(gan.variables) == n_variables
    noise = np.random.default_rng(2).standard_normal((4, 8)).astype("float32")
    np.testing.assert_allclose(gan.generate(noise), sampler(noise, training=False).numpy(),
                               rtol=1e-6, atol=1e-6)


def test_the_cli_names_of_the_loss_pairs_are_the_library_names():
    """refs.gan.config keeps the --loss names without importing Keras (a fast --help); they
    must stay the keys of refs.losses.adversarial.get_loss_pair."""
    from refs.gan.config import LOSS_NAMES
    from refs.losses import adversarial

    assert LOSS_NAMES == adversarial.LOSS_NAMES
    for name in LOSS_NAMES:
        d_loss, g_loss = adversarial.get_loss_pair(name)
        assert d_loss is not None and g_loss is not None
