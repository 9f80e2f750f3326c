// What real Spark 3.5.3 does with a broadcast variable captured by a checkpointed function when
// the driver dies and a NEW driver (a new JVM, a new SparkContext) recovers the StreamingContext
// from its checkpoint (StreamingContext.getOrCreate), and what the programming guide's fix (a
// lazily instantiated singleton, "Accumulators, Broadcast Variables, and Checkpoints") does.
// Compiled and run by scripts/oracle-broadcast.sh; it writes tests/fixtures/broadcast/.
//
//   phase "first"   : a new context, batches run on the real clock, the JVM halts (the driver
//                     dies without stop) after the checkpoint of batch 3 is written
//   phase "recover" : a new JVM recovers from the checkpoint and runs 4 more batches
// variant "captured": excluded = sc.broadcast(...) made once on the driver, captured by filter
// variant "captured-late": the same with broadcast_5 captured (five made before it)
// variant "singleton": WordExcludeList.getInstance(rdd.sparkContext) inside transform
import java.io.File
import scala.collection.mutable.ArrayBuffer
import org.apache.spark.{SparkConf, SparkContext}
import org.apache.spark.broadcast.Broadcast
import org.apache.spark.rdd.RDD
import org.apache.spark.streaming._
import org.apache.spark.streaming.dstream.InputDStream
import org.apache.spark.streaming.scheduler._

/** The same lines every batch (a checkpointable input: no queue, no receiver). */
class Lines(ssc_ : StreamingContext) extends InputDStream[String](ssc_) {
  def start(): Unit = {}
  def stop(): Unit = {}
  def compute(t: Time): Option[RDD[String]] =
    Some(context.sparkContext.makeRDD(Seq("a cat saw the dog", "the dog saw a cat"), 2))
}

object WordExcludeList {
  @volatile private var instance: Broadcast[Seq[String]] = null
  def getInstance(sc: SparkContext): Broadcast[Seq[String]] = {
    if (instance == null) synchronized {
      if (instance == null) instance = sc.broadcast(Seq("a", "the"))
    }
    instance
  }
}

object BroadcastRecovery {
  @volatile var logged = 0   // batches printed by this JVM (the first three: their number is the clock's)
  def log(s: String): Unit = { println("ORACLE " + s); System.out.flush() }

  def create(dir: String, variant: String): StreamingContext = {
    val conf = new SparkConf().setAppName("broadcast-recovery").setMaster("local[2]")
    val sc = new SparkContext(conf)
    sc.setLogLevel("ERROR")
    val ssc = new StreamingContext(sc, Seconds(1))
    ssc.checkpoint(dir)
    val words = new Lines(ssc).flatMap(_.split(" "))
    val kept = variant match {
      case "captured" | "captured-late" =>
        // captured-late: five broadcasts made first, so the captured one is broadcast_5, an id
        // the new driver has not reached when the first recovered job runs
        if (variant == "captured-late") (0 until 5).foreach(i => sc.broadcast(i))
        val excluded = sc.broadcast(Seq("a", "the"))
        log("created broadcast id=" + excluded.id)
        words.filter(w => !excluded.value.contains(w))
      case "singleton" =>
        words.transform { rdd =>
          val excluded = WordExcludeList.getInstance(rdd.sparkContext)
          rdd.filter(w => !excluded.value.contains(w))
        }
    }
    kept.map(w => (w, 1)).reduceByKey(_ + _).foreachRDD { (rdd, time) =>
      val line = rdd.collect().sorted.mkString(" ")
      if (BroadcastRecovery.logged < 3) { BroadcastRecovery.logged += 1; log("batch " + line) }
    }
    ssc
  }

  def main(args: Array[String]): Unit = {
    val Array(phase, variant, dir) = args
    val ssc = StreamingContext.getOrCreate(dir, () => {
      if (phase == "recover") sys.error("no checkpoint in " + dir)
      create(dir, variant)
    })
    ssc.sparkContext.setLogLevel("ERROR")
    @volatile var done = 0
    ssc.addStreamingListener(new StreamingListener {
      override def onBatchCompleted(b: StreamingListenerBatchCompleted): Unit = done += 1
    })
    ssc.start()
    try {
      val limit = if (phase == "first") 3 else 4
      val deadline = System.currentTimeMillis() + 60000
      while (done < limit && System.currentTimeMillis() < deadline) ssc.awaitTerminationOrTimeout(100)
      if (phase == "first") {
        Thread.sleep(300)   // the checkpoint written after the last batch completed
        log("driver dies (halt) after " + done + " batches")
        Runtime.getRuntime.halt(0)
      }
      log("recovered run completed " + done + " batches")
    } catch {
      case e: Throwable =>
        var c: Throwable = e
        var depth = 0
        while (c != null && depth < 4) {
          log("error " + c.getClass.getName + ": " + c.getMessage.split("\n")(0))
          c = c.getCause; depth += 1
        }
    }
    ssc.stop(stopSparkContext = true, stopGracefully = false)
    Runtime.getRuntime.halt(0)
  }
}
