package org.dpsynth.cluster;

import java.io.PrintStream;
import java.util.BitSet;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.StageInfo;

/**
 * Progress lines on the driver's console while long Spark stages run: partitions done of total and
 * their rate, and for a stage of model calls ({@link #phase}) the calls done of those planned.
 *
 * <p>What it prints is safe to show: stage and partition counts, and counts of model calls on
 * SYNTHETIC samples (the population is public). It never counts records of the private corpus: a
 * stage over the private corpus reports partitions only. A stage that ends before the interval
 * prints nothing, so short jobs stay quiet.
 */
public final class ProgressListener extends SparkListener {
  /** Local property naming the phase of the jobs started from this thread (shown on the console). */
  public static final String PHASE = "dpsynth.progress.phase";
  /** Local property: model calls planned for the phase's jobs (public inputs only). */
  public static final String PLANNED_CALLS = "dpsynth.progress.plannedCalls";
  /** Local property: what one planned call is ("variations", "texts embedded", ...). */
  public static final String UNIT = "dpsynth.progress.unit";
  /** Local property: partitions the planned calls are split into, evenly as {@code parallelize} does. */
  public static final String PARTITIONS = "dpsynth.progress.partitions";
  /** Spark setting: seconds between two progress lines of one stage (default 10; 0 prints every task). */
  public static final String INTERVAL_KEY = "spark.dpsynth.progress.intervalSeconds";

  private final PrintStream console;
  private final long intervalNanos;
  private final LongSupplier clock;
  private final Map<Integer, Stage> stages = new ConcurrentHashMap<>();

  public ProgressListener(PrintStream console, double intervalSeconds) {
    this(console, intervalSeconds, System::nanoTime);
  }

  ProgressListener(PrintStream console, double intervalSeconds, LongSupplier clock) {
    this.console = console;
    this.intervalNanos = Math.round(Math.max(0, intervalSeconds) * 1e9);
    this.clock = clock;
  }

  /**
   * Marks the jobs that the calling thread starts until {@link Phase#close()} as one phase: {@code
   * label} is printed, and when {@code plannedCalls > 0} the stage that runs them over {@code
   * partitions} even slices reports calls done of planned, counted in {@code unit}.
   */
  public static Phase phase(SparkContext sc, String label, long plannedCalls, String unit, int partitions) {
    sc.setLocalProperty(PHASE, label);
    sc.setLocalProperty(PLANNED_CALLS, plannedCalls > 0 ? Long.toString(plannedCalls) : null);
    sc.setLocalProperty(UNIT, plannedCalls > 0 ? unit : null);
    sc.setLocalProperty(PARTITIONS, plannedCalls > 0 ? Integer.toString(partitions) : null);
    return () -> {
      for (String key : new String[] {PHASE, PLANNED_CALLS, UNIT, PARTITIONS}) {
        sc.setLocalProperty(key, null);
      }
    };
  }

  /** Ends a {@link #phase}. */
  public interface Phase extends AutoCloseable {
    @Override
    void close();
  }

  /** Progress of one stage attempt. */
  private static final class Stage {
    final String label;
    final int tasks;
    final long plannedCalls;
    final String unit;
    final long startNanos;
    final BitSet done = new BitSet();
    long callsDone;
    long lastPrintNanos;
    boolean printed;

    Stage(String label, int tasks, long plannedCalls, String unit, long startNanos) {
      this.label = label;
      this.tasks = tasks;
      this.plannedCalls = plannedCalls;
      this.unit = unit;
      this.startNanos = startNanos;
      this.lastPrintNanos = startNanos;
    }
  }

  @Override
  public void onStageSubmitted(SparkListenerStageSubmitted event) {
    StageInfo info = event.stageInfo();
    Properties props = event.properties();
    String phase = props == null ? null : props.getProperty(PHASE);
    String label = phase != null ? phase : "stage " + info.stageId() + " (" + info.name() + ")";
    long planned = 0;
    if (props != null && props.getProperty(PLANNED_CALLS) != null
        && Integer.toString(info.numTasks()).equals(props.getProperty(PARTITIONS))) {
      // Only the stage that runs the calls has one task per slice (zipWithIndex's sizing job has one fewer).
      planned = Long.parseLong(props.getProperty(PLANNED_CALLS));
    }
    String unit = planned > 0 ? props.getProperty(UNIT, "model calls") : null;
    stages.put(info.stageId(), new Stage(label, info.numTasks(), planned, unit, clock.getAsLong()));
  }

  @Override
  public void onTaskEnd(SparkListenerTaskEnd event) {
    Stage s = stages.get(event.stageId());
    if (s == null || !event.taskInfo().successful()) {
      return;
    }
    String line = null;
    synchronized (s) {
      int index = event.taskInfo().index();
      if (s.done.get(index)) {
        return; // a speculative or retried copy of a partition already counted
      }
      s.done.set(index);
      if (s.plannedCalls > 0) {
        s.callsDone += sliceSize(s.plannedCalls, s.tasks, index);
      }
      long now = clock.getAsLong();
      if (now - s.lastPrintNanos >= intervalNanos && s.done.cardinality() < s.tasks) {
        s.lastPrintNanos = now;
        s.printed = true;
        line = format(s, now);
      }
    }
    if (line != null) {
      console.println(line);
    }
  }

  @Override
  public void onStageCompleted(SparkListenerStageCompleted event) {
    Stage s = stages.remove(event.stageInfo().stageId());
    if (s == null) {
      return;
    }
    String line = null;
    synchronized (s) {
      if (s.printed || clock.getAsLong() - s.startNanos >= intervalNanos) {
        line = format(s, clock.getAsLong());
      }
    }
    if (line != null) {
      console.println(line);
    }
  }

  /** Elements of slice {@code i} when {@code n} are cut into {@code slices} as Spark's parallelize does. */
  static long sliceSize(long n, int slices, int i) {
    return (i + 1L) * n / slices - (long) i * n / slices;
  }

  private static String format(Stage s, long now) {
    double seconds = Math.max(1e-9, (now - s.startNanos) / 1e9);
    int done = s.done.cardinality();
    StringBuilder sb = new StringBuilder("progress: ").append(s.label).append(": ")
        .append(done).append('/').append(s.tasks).append(" partitions");
    if (s.plannedCalls > 0) {
      sb.append(String.format(Locale.ROOT, ", %d/%d %s, %.1f/s", s.callsDone, s.plannedCalls, s.unit, s.callsDone / seconds));
    } else {
      sb.append(String.format(Locale.ROOT, ", %.2f partitions/s", done / seconds));
    }
    return sb.append(String.format(Locale.ROOT, ", %.0fs", seconds)).toString();
  }
}
