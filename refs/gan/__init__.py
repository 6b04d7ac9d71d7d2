"""refs.gan: the generator/discriminator minimax losses and a DCGAN on MNIST."""
