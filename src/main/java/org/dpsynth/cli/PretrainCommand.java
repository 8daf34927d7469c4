package org.dpsynth.cli;

import java.util.concurrent.Callable;
import org.apache.hadoop.fs.Path;
import org.dpsynth.config.DpftConfig;
import org.dpsynth.dpft.ModelFile;
import org.dpsynth.dpft.Pretraining;
import org.dpsynth.run.Storage;
import org.dpsynth.text.PublicCorpus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code pretrain}: trains the fine-tuning job's language model on the PUBLIC corpus only. */
@Command(
    name = "pretrain",
    mixinStandardHelpOptions = true,
    description = {
      "Pretrain the small feed-forward language model of dpft on the public corpus (pretrain.corpus;",
      "no private data) and write it to model.pretrained (or --out). dpft does this on first use."
    })
public final class PretrainCommand implements Callable<Integer> {
  /** A dpft config: its pretrain and model sections are used. */
  @Mixin ConfigOptions config;

  @Option(names = "--out", paramLabel = "FILE", description = "Model file to write, a Hadoop URI or a path (default: model.pretrained).")
  String out;

  @Option(names = "--force", description = "Retrain even if the model file exists.")
  boolean force;

  @Override
  public Integer call() {
    DpftConfig cfg = config.load("dpsynth pretrain", DpftConfig::load);
    org.apache.hadoop.conf.Configuration conf = new org.apache.hadoop.conf.Configuration();
    Path file = Storage.qualify(out != null ? out : cfg.model().pretrained(), conf);
    if (Storage.isFile(file, conf) && !force) {
      Pretraining.loadOrBuild(cfg.pretrain(), file.toString(), conf, System.out);
      System.out.println(file + " exists and matches the pretrain configuration (use --force to retrain)");
      return 0;
    }
    long t0 = System.nanoTime();
    ModelFile.Model m = Pretraining.train(cfg.pretrain(), Pretraining.publicCorpus(cfg.pretrain(), conf), System.out);
    Pretraining.write(file, m, conf);
    System.out.printf("wrote %s: %,d parameters, vocabulary %d, %.0fs%n", file, m.shape().parameters(), m.vocabulary().size(),
        (System.nanoTime() - t0) / 1e9);
    return 0;
  }
}
