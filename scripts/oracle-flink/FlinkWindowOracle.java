// Keyed event-time windows on real Apache Flink 1.20.0 (the jars of the PyFlink package
// `apache-flink==1.20.0`), many cases in one JVM. Driven by scripts/oracle-flink.py, which
// writes the cases and datasets and turns this program's output into
// tests/fixtures/flink/windows.json.
//
// Input (argument 1), a text file, one line each:
//   D <dataset> <key> <timestamp ms>            an element, in arrival order
//   C <id> <dataset> <size> <slide> <offset> <out_of_orderness> <allowed_lateness>
// Output (stdout), one line each:
//   W <id> <key> <start> <end> <count> <sum of element indexes> <watermark at firing>
//   L <id> <key> <timestamp> <element index> <watermark when it was dropped>
//   DONE <id>
//
// Determinism: parallelism 1, and a watermark generator that emits after every element
// (`BoundedOutOfOrdernessWatermarks` logic: max timestamp - out_of_orderness - 1, emitted in
// `onEvent` instead of `onPeriodicEmit`; periodic emission is switched off), so which elements
// are late does not depend on wall-clock timing. The window function is a
// ProcessWindowFunction that reports the count, a checksum of the elements (the sum of their
// indexes) and `context.currentWatermark()`; late elements go to a side output
// (`sideOutputLateData`) and are reported with the watermark that made them late.

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple3;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.assigners.SlidingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.assigners.WindowAssigner;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.CloseableIterator;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

public class FlinkWindowOracle {

    /** BoundedOutOfOrdernessWatermarks, emitting on every event. */
    public static class PerEventBounded implements WatermarkGenerator<Tuple3<String, Long, Integer>> {
        private final long outOfOrderness;
        private long maxTimestamp;

        public PerEventBounded(long outOfOrderness) {
            this.outOfOrderness = outOfOrderness;
            this.maxTimestamp = Long.MIN_VALUE + outOfOrderness + 1;
        }

        @Override
        public void onEvent(Tuple3<String, Long, Integer> e, long ts, WatermarkOutput out) {
            maxTimestamp = Math.max(maxTimestamp, ts);
            out.emitWatermark(new Watermark(maxTimestamp - outOfOrderness - 1));
        }

        @Override
        public void onPeriodicEmit(WatermarkOutput out) {}
    }

    public static class Report
            extends ProcessWindowFunction<Tuple3<String, Long, Integer>, String, String, TimeWindow> {
        @Override
        public void process(String key, Context ctx, Iterable<Tuple3<String, Long, Integer>> elements,
                Collector<String> out) {
            long count = 0;
            long sum = 0;
            for (Tuple3<String, Long, Integer> e : elements) {
                count++;
                sum += e.f2;
            }
            TimeWindow w = ctx.window();
            out.collect("W\t" + key + "\t" + w.getStart() + "\t" + w.getEnd() + "\t" + count + "\t" + sum
                    + "\t" + ctx.currentWatermark());
        }
    }

    public static class LateReport extends ProcessFunction<Tuple3<String, Long, Integer>, String> {
        @Override
        public void processElement(Tuple3<String, Long, Integer> e, Context ctx, Collector<String> out) {
            out.collect("L\t" + e.f0 + "\t" + e.f1 + "\t" + e.f2 + "\t" + ctx.timerService().currentWatermark());
        }
    }

    public static void main(String[] args) throws Exception {
        Map<String, List<Tuple3<String, Long, Integer>>> data = new LinkedHashMap<>();
        List<String[]> cases = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of(args[0]))) {
            String[] f = line.split("\t", -1);
            if (f[0].equals("D")) {
                List<Tuple3<String, Long, Integer>> d = data.computeIfAbsent(f[1], k -> new ArrayList<>());
                d.add(Tuple3.of(f[2], Long.parseLong(f[3]), d.size()));
            } else if (f[0].equals("C")) {
                cases.add(f);
            }
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1);
        env.setParallelism(1);
        env.getConfig().setAutoWatermarkInterval(0);
        TypeInformation<Tuple3<String, Long, Integer>> tupleType = Types.TUPLE(Types.STRING, Types.LONG, Types.INT);
        for (String[] c : cases) {
            String id = c[1];
            List<Tuple3<String, Long, Integer>> input = data.get(c[2]);
            long size = Long.parseLong(c[3]);
            long slide = Long.parseLong(c[4]);
            long offset = Long.parseLong(c[5]);
            long ooo = Long.parseLong(c[6]);
            long lateness = Long.parseLong(c[7]);
            WindowAssigner<Object, TimeWindow> assigner = size == slide
                    ? TumblingEventTimeWindows.of(Duration.ofMillis(size), Duration.ofMillis(offset))
                    : SlidingEventTimeWindows.of(Duration.ofMillis(size), Duration.ofMillis(slide),
                            Duration.ofMillis(offset));
            OutputTag<Tuple3<String, Long, Integer>> late =
                    new OutputTag<Tuple3<String, Long, Integer>>("late") {};
            DataStream<Tuple3<String, Long, Integer>> src = env
                    .fromData(input, tupleType)
                    .assignTimestampsAndWatermarks(
                            WatermarkStrategy.<Tuple3<String, Long, Integer>>forGenerator(ctx -> new PerEventBounded(ooo))
                                    .withTimestampAssigner((e, ts) -> e.f1));
            SingleOutputStreamOperator<String> windows = src
                    .keyBy(e -> e.f0, Types.STRING)
                    .window(assigner)
                    .allowedLateness(Duration.ofMillis(lateness))
                    .sideOutputLateData(late)
                    .process(new Report(), Types.STRING);
            DataStream<String> all = windows.union(windows.getSideOutput(late).process(new LateReport(), Types.STRING));
            List<String> rows = new ArrayList<>();
            try (CloseableIterator<String> it = all.executeAndCollect("case " + id)) {
                while (it.hasNext()) {
                    rows.add(it.next());
                }
            }
            for (String r : rows) {
                System.out.println(r.charAt(0) + "\t" + id + r.substring(1));
            }
            System.out.println("DONE\t" + id);
            System.out.flush();
        }
    }
}
