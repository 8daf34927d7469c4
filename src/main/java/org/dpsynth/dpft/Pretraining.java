package org.dpsynth.dpft;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.dpsynth.config.ConfigException;
import org.dpsynth.config.ConfigLoader;
import org.dpsynth.config.DpftConfig;
import org.dpsynth.text.PublicCorpus;
import org.dpsynth.run.Storage;

/**
 * Non-private pretraining of {@link FeedForwardLm} on the PUBLIC corpus (no private data): Adam on
 * mini-batches of whole texts, control code 0 ("no label"). Deterministic for a given config: each
 * batch is split into fixed shards, one per thread, summed in shard order.
 */
public final class Pretraining {
  private Pretraining() {}

  /**
   * The model at {@code location} (a Hadoop URI or a bare path on the default file system), or
   * trains it on the public corpus (also a Hadoop location) and writes it there when it is missing.
   */
  public static ModelFile.Model loadOrBuild(DpftConfig.Pretrain cfg, String location, Configuration conf, PrintStream console) {
    String provenance = provenance(cfg);
    Path file = Storage.qualify(location, conf);
    if (Storage.isFile(file, conf)) {
      ModelFile.Model m = ModelFile.readModel(Storage.read(file, conf), file.toString());
      if (!m.provenance().equals(provenance)) {
        throw new ConfigException("model.pretrained " + file + " was built with a different pretrain configuration; "
            + "delete it to rebuild, or point model.pretrained at another file");
      }
      return m;
    }
    console.println("pretrained model " + file + " not found: pretraining on the public corpus " + cfg.corpus()
        + " (once; a few minutes)");
    ModelFile.Model m = train(cfg, publicCorpus(cfg, conf), console);
    write(file, m, conf);
    console.println("pretrained model written to " + file);
    return m;
  }

  /** The public corpus of {@code pretrain.corpus} (JSON Lines with a text field), from any Hadoop location. */
  public static List<String> publicCorpus(DpftConfig.Pretrain cfg, Configuration conf) {
    Path corpus = Storage.qualify(cfg.corpus(), conf);
    if (!Storage.isFile(corpus, conf)) {
      throw new ConfigException("pretrain.corpus: " + corpus + " not found (a JSON Lines file of public texts)");
    }
    return PublicCorpus.readJsonl(new java.io.ByteArrayInputStream(Storage.read(corpus, conf)), corpus.toString());
  }

  /** Writes a model file atomically (temporary file in a hidden folder beside it). */
  public static void write(Path file, ModelFile.Model m, Configuration conf) {
    Storage.commit(file, ModelFile.modelBytes(m), new Path(file.getParent(), ".dpsynth-tmp"), conf);
  }

  /** The canonical description of a pretraining config, stored in (and checked against) the model file. */
  public static String provenance(DpftConfig.Pretrain cfg) {
    return "dpsynth pretrain " + ConfigLoader.toTree(cfg).toString();
  }

  public static ModelFile.Model train(DpftConfig.Pretrain cfg, List<String> publicTexts, PrintStream console) {
    long t0 = System.nanoTime();
    Vocabulary vocab = Vocabulary.build(publicTexts, cfg.vocabSize());
    List<int[]> data = new ArrayList<>(publicTexts.size());
    for (String t : publicTexts) {
      int[] ids = vocab.encode(t, cfg.maxTokens());
      if (ids.length > 0) {
        data.add(ids);
      }
    }
    FeedForwardLm.Shape shape = new FeedForwardLm.Shape(vocab.size(), cfg.context(), cfg.embedDim(), cfg.hidden(), cfg.maxLabels() + 1);
    double[] params = FeedForwardLm.initialParameters(shape, cfg.seed());
    Adam adam = new Adam(params.length);
    int threads = cfg.threads();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      FeedForwardLm[] models = new FeedForwardLm[threads];
      double[][] grads = new double[threads][params.length];
      double[] nll = new double[threads];
      long[] tokens = new long[threads];
      for (int k = 0; k < threads; k++) {
        models[k] = new FeedForwardLm(shape, params);
      }
      int[] order = new int[data.size()];
      SplittableRandom rnd = new SplittableRandom(cfg.seed());
      for (int epoch = 1; epoch <= cfg.epochs(); epoch++) {
        for (int i = 0; i < order.length; i++) {
          order[i] = i;
        }
        for (int i = order.length - 1; i > 0; i--) {
          int j = rnd.nextInt(i + 1);
          int tmp = order[i];
          order[i] = order[j];
          order[j] = tmp;
        }
        double epochNll = 0;
        long epochTokens = 0;
        for (int start = 0; start < order.length; start += cfg.batchSize()) {
          int end = Math.min(order.length, start + cfg.batchSize());
          double scale = 1.0 / (end - start);
          List<Future<?>> futures = new ArrayList<>();
          for (int k = 0; k < threads; k++) {
            final int shard = k;
            final int s0 = start;
            futures.add(pool.submit(() -> {
              java.util.Arrays.fill(grads[shard], 0);
              nll[shard] = 0;
              tokens[shard] = 0;
              for (int i = s0 + shard; i < end; i += threads) {
                int[] seq = data.get(order[i]);
                nll[shard] += models[shard].accumulateGradient(seq, 0, scale, grads[shard]);
                tokens[shard] += seq.length;
              }
            }));
          }
          for (Future<?> f : futures) {
            f.get();
          }
          for (int k = 1; k < threads; k++) {
            double[] g = grads[k];
            double[] g0 = grads[0];
            for (int i = 0; i < g0.length; i++) {
              g0[i] += g[i];
            }
          }
          for (int k = 0; k < threads; k++) {
            epochNll += nll[k];
            epochTokens += tokens[k];
          }
          adam.step(params, grads[0], cfg.learningRate());
        }
        console.printf("pretrain epoch %d/%d: public-corpus perplexity %.1f (%d tokens, %.0fs so far)%n",
            epoch, cfg.epochs(), Math.exp(epochNll / Math.max(1, epochTokens)), epochTokens, (System.nanoTime() - t0) / 1e9);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("pretraining interrupted", e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException("pretraining failed", e.getCause());
    } finally {
      pool.shutdownNow();
    }
    return new ModelFile.Model(shape, vocab, params, provenance(cfg));
  }
}
