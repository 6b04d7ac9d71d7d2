"""The class-conditional GAN (``--conditional``): label-embedding generator, projection
discriminator, (images, labels) training, sampling a requested digit, and the per-class scores."""

import keras
import numpy as np
import pytest

from refs.cli import guarded
from refs.errors import UsageError
from refs.gan import sample as sample_cli
from refs.gan.config import TrainConfig
from refs.gan.data import gan_dataset, scale_images
from refs.gan.gan import GAN, generate_images, num_classes_of
from refs.gan.models import build_discriminator, build_generator
from refs.gan.trainer import train
from refs.losses.adversarial import get_loss_pair

TINY = dict(width=4, latent_dim=8, batch_size=32, steps_per_epoch=3, fid_samples=0, verbose=0,
            log_every=1, jit=False)


@pytest.mark.parametrize("arch", ["infogan", "lean", "tutorial"])
def test_conditional_networks_take_labels(arch):
    width = None if arch == "tutorial" else 4
    g = build_generator(arch, width=width, num_classes=10)
    d = build_discriminator(arch, width=width, num_classes=10)
    assert num_classes_of(g) == 10 and len(d.inputs) == 2
    z = np.random.default_rng(0).standard_normal((3, g.inputs[0].shape[-1])).astype("float32")
    images = keras.ops.convert_to_numpy(g([z, np.array([0, 3, 9], "int32")]))
    assert images.shape == (3, 28, 28, 1) and np.abs(images).max() <= 1.0
    # the label changes the image: the generator is conditioned on it
    other = keras.ops.convert_to_numpy(g([z, np.array([1, 4, 8], "int32")]))
    assert not np.allclose(images, other)
    assert d([images, np.array([0, 3, 9], "int32")]).shape == (3, 1)


def test_projection_discriminator_adds_the_label_embedding_dotted_with_the_features():
    """D(x, y) = w.phi(x) + b + embed(y).phi(x): the difference between two labels is
    (embed(y1) - embed(y2)).phi(x), with phi the input of the logit layer."""
    d = build_discriminator("lean", width=4, num_classes=10)
    x = np.random.default_rng(1).uniform(-1, 1, (5, 28, 28, 1)).astype("float32")
    y1, y2 = np.array([0, 1, 2, 3, 4], "int32"), np.array([9, 8, 7, 6, 5], "int32")
    phi_model = keras.Model(d.inputs, d.get_layer("logit").input)
    phi = keras.ops.convert_to_numpy(phi_model([x, y1]))
    emb = keras.ops.convert_to_numpy(d.get_layer("label_projection").embeddings)
    got = keras.ops.convert_to_numpy(d([x, y1]) - d([x, y2]))[:, 0]
    want = np.sum((emb[y1] - emb[y2]) * phi, axis=1)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)


def test_networks_must_agree_and_labels_are_checked():
    g = build_generator("lean", width=4, num_classes=10)
    with pytest.raises(ValueError, match="both be conditional"):
        GAN(g, build_discriminator("lean", width=4))
    with pytest.raises(ValueError, match="num_classes"):
        build_generator("lean", width=4, num_classes=1)
    noise = np.zeros((2, 64), "float32")
    with pytest.raises(ValueError, match="pass labels"):
        generate_images(g, noise)
    with pytest.raises(ValueError, match=r"labels must be in \[0, 9\]"):
        generate_images(g, noise, labels=np.array([0, 10]))
    with pytest.raises(ValueError, match="takes no labels"):
        generate_images(build_generator("lean", width=4), noise, labels=np.array([0, 1]))


def test_dataset_pairs_each_image_with_its_label():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (64, 28, 28), dtype=np.uint8)
    y = rng.integers(0, 10, 64)
    images, labels = next(iter(gan_dataset(x, 16, seed=3, labels=y)))
    scaled = scale_images(x)
    for image, label in zip(images.numpy(), labels.numpy()):
        idx = int(np.argmin(np.abs(scaled - image).reshape(64, -1).sum(1)))
        assert np.array_equal(scaled[idx], image) and y[idx] == label
    with pytest.raises(ValueError, match="labels must have shape"):
        gan_dataset(x, 16, labels=y[:10])


def test_conditional_gan_fits_on_images_and_labels():
    keras.utils.set_random_seed(0)
    gan = GAN(build_generator("lean", 8, 4, num_classes=10),
              build_discriminator("lean", 4, num_classes=10), seed=0)
    d_loss, g_loss = get_loss_pair("non-saturating")
    gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3), d_loss, g_loss,
                jit_compile=False)
    rng = np.random.default_rng(0)
    ds = gan_dataset(rng.integers(0, 256, (64, 28, 28), dtype=np.uint8), 16,
                     labels=rng.integers(0, 10, 64))
    history = gan.fit(ds, steps_per_epoch=3, epochs=1, verbose=0).history
    assert np.isfinite(history["d_loss"]).all() and np.isfinite(history["g_loss"]).all()
    wgan = GAN(build_generator("lean", 8, 4, num_classes=10),
               build_discriminator("lean", 4, batch_norm=False, num_classes=10), seed=0)
    wgan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3),
                 *get_loss_pair("wgan-gp"), jit_compile=False)
    assert np.isfinite(wgan.fit(ds, steps_per_epoch=2, epochs=1, verbose=0).history["d_loss"]).all()


def test_sample_labels_in_blocks_or_one_digit():
    g = build_generator("lean", width=4, num_classes=10)
    assert sample_cli.sample_labels(g, 20).tolist() == [c for c in range(10) for _ in range(2)]
    assert sample_cli.sample_labels(g, 5, digit=7).tolist() == [7] * 5
    with pytest.raises(UsageError, match=r"digit must be an integer in \[0, 9\]"):
        sample_cli.sample_labels(g, 5, digit=12)
    with pytest.raises(UsageError, match="conditional generator"):
        sample_cli.sample_labels(build_generator("lean", width=4), 5, digit=3)
    assert sample_cli.sample_labels(build_generator("lean", width=4), 5) is None


def test_conditional_run_samples_a_requested_digit(tmp_path, tiny_mnist, capsys):
    run_dir = tmp_path / "run"
    results = train(TrainConfig(conditional=True, epochs=1, run_dir=str(run_dir),
                                data=str(tiny_mnist), **TINY))
    assert results["steps"] == 3 and (run_dir / "figures" / "samples_000001.png").is_file()
    out = tmp_path / "s.npz"
    code = sample_cli.main([str(run_dir), "--digit", "7", "--n", "6", "--out", str(out),
                            "--grid", str(tmp_path / "g.png")])
    assert code == 0
    with np.load(out) as f:
        assert f["images"].shape == (6, 28, 28) and f["labels"].tolist() == [7] * 6
    assert sample_cli.main([str(run_dir), "--n", "20", "--out", str(out)]) == 0
    with np.load(out) as f:
        assert f["labels"].tolist() == [c for c in range(10) for _ in range(2)]
    # an unconditional run refuses --digit with one line
    plain = tmp_path / "plain"
    train(TrainConfig(epochs=1, run_dir=str(plain), data=str(tiny_mnist), **TINY))
    capsys.readouterr()
    assert guarded(sample_cli.main, [str(plain), "--digit", "3", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--digit needs a conditional generator" in err and err.count("\n") == 1


def test_per_class_scores_of_the_reference_itself():
    """The reference images scored against themselves: per-class FID 0 for every class, and the
    class accuracy is the classifier's own accuracy on them."""
    from refs.gan.classifier import build_classifier, classifier_outputs
    from refs.gan.metrics import QualityEvaluator

    keras.utils.set_random_seed(0)
    clf = build_classifier()
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (300, 28, 28), dtype=np.uint8)
    labels = np.arange(300) % 10
    evaluator = QualityEvaluator(clf, images, labels)
    scores = evaluator.evaluate_conditional(images, labels)
    assert scores["class_fid_max"] == pytest.approx(0.0, abs=1e-6)
    _, probs = classifier_outputs(clf, images)
    assert scores["class_accuracy"] == pytest.approx(
        np.mean([(probs[labels == c].argmax(1) == c).mean() for c in range(10)]))
    assert scores["precision"] == 1.0 and scores["recall"] == 1.0
    table = evaluator.per_class(images[:40], labels[:40])
    assert sorted(table) == list(range(10)) and all(row["n"] == 4 for row in table.values())
