// What Scala 2.12.18 and Spark 3.5.3 compute for the hashes and orders stream-sim transcribes:
// tuple/collection hashCode and ## (scala.util.hashing.MurmurHash3, scala.runtime.Statics),
// XORShiftRandom(index).nextInt(n) (the start of repartition's round-robin), and the printed
// order of toSet/toMap beyond four elements (HashSet/HashMap hash tries), and the iteration
// order of Spark's AppendOnlyMap (the reduce side of a shuffle). Run by
// scripts/spark-diff-hashes.sh; the output is tests/fixtures/spark-diff/scala-hashes.txt.
// It sits in package org.apache.spark to reach the private[spark] XORShiftRandom and
// CompactBuffer.
package org.apache.spark.murmurcheck

import org.apache.spark.util.random.XORShiftRandom
import org.apache.spark.util.collection.CompactBuffer
import scala.collection.mutable.ArrayBuffer

object Hashes {
  def h(label: String, v: Any): Unit = println(s"HASH\t$label\t${v.hashCode}\t${v.##}")
  def main(a: Array[String]): Unit = {
    println(scala.util.Properties.versionString)
    h("(a,1)", ("a", 1))
    h("(1,2)", (1, 2))
    h("(1L,2L)", (1L, 2L))
    h("(3000000000L,1)", (3000000000L, 1))
    h("(-3000000000L,1)", (-3000000000L, 1))
    h("(-1L,1)", (-1L, 1))
    h("(a,(1,2))", ("a", (1, 2)))
    h("(1.5,x)", (1.5, "x"))
    h("(2.0,x)", (2.0, "x"))
    h("(1e10,x)", (1e10, "x"))
    h("(1e20,x)", (1e20, "x"))
    h("(0.1,x)", (0.1, "x"))
    h("(-0.0,x)", (-0.0, "x"))
    h("(true,1)", (true, 1))
    h("(false,1)", (false, 1))
    h("(null,1)", (null, 1))
    h("(a,1,2)", ("a", 1, 2))
    h("(héllo,1)", ("héllo", 1))
    h("(Some(1),1)", (Some(1), 1))
    h("(None,1)", (None, 1))
    h("(List(1,2),1)", (List(1, 2), 1))
    h("List(1,2,3)", List(1, 2, 3))
    h("List()", List())
    h("ArrayBuffer(1,2)", ArrayBuffer(1, 2))
    val cb = new CompactBuffer[Int]; cb += 1; cb += 2
    h("CompactBuffer(1,2)", cb)
    h("Set(1,2,3)", Set(1, 2, 3))
    h("Map(a->1)", Map("a" -> 1))
    h("Some(a)", Some("a"))
    h("None", None)
    h("1.5", 1.5)
    h("2.0", 2.0)
    h("3000000000L", 3000000000L)
    h("-5L", -5L)
    h("(x,y)", ("x", "y"))
    h("((a,1),(b,2))", (("a", 1), ("b", 2)))
    h("(k,CompactBuffer(1,2))", ("k", cb))
    for (i <- 0 until 12; n <- 1 to 12) println(s"XOR\t$i\t$n\t${new XORShiftRandom(i).nextInt(n)}")
    // sets and maps beyond four elements: hash trie order
    val words = Seq("a", "b", "c", "d", "e", "f", "g", "hello", "world", "spark", "x1", "x2", "x3")
    println("SET\t" + words.toSet)
    println("SET\t" + (1 to 20).toSet)
    println("SET\t" + Seq(5, 3, 100, -7, 42, 0, 17).toSet)
    println("SET\t" + Seq(("a", 1), ("b", 2), ("c", 3), ("d", 4), ("e", 5), ("f", 6)).toSet)
    println("SET\t" + Seq(1.5, 2.0, -3.25, 100.0, 0.1).toSet)
    println("SET\t" + Seq(true, false).toSet)
    println("SET\t" + Seq("a", "b", "c", "d", "e").toSet)
    println("SET\t" + Seq("e", "d", "c", "b", "a").toSet)
    println("SET\t" + (1 to 100).map(_ * 37).toSet)
    println("MAP\t" + Seq(("a", 1), ("b", 2), ("c", 3), ("d", 4), ("e", 5), ("f", 6)).toMap)
    println("MAP\t" + Seq((1, "x"), (2, "y"), (3, "z"), (40, "w"), (5, "v"), (2, "yy")).toMap)
    println("MAP\t" + Seq(("spark", 3), ("hello", 1), ("world", 2), ("a", 1), ("b", 2), ("hello", 9)).toMap)
    // AppendOnlyMap iteration order (the reduce side of every shuffle): keys inserted in order
    def aom(keys: Seq[Any]): String = {
      val m = new org.apache.spark.util.collection.AppendOnlyMap[Any, Int]()
      keys.foreach(k => m.update(k, 1))
      m.iterator.map(_._1).mkString("[", ", ", "]")
    }
    println("AOM\t" + aom(Seq("a", "b", "c", "d", "e", "f", "g", "hello", "world", "spark", "flink", "x")))
    println("AOM\t" + aom((1 to 100).map(_ * 7)))
    println("AOM\t" + aom(Seq(("a", 1), ("b", 2), ("c", 3), ("a", 2), ("b", 1))))
    println("AOM\t" + aom(Seq(5, null, 3, 1)))
    // the null key counts toward the 70 % threshold (changeValue/update call incrementSize):
    // 44 other keys and null make 45 > 44 keys in 64 slots, so the table grows to 128
    println("AOM\t" + aom(null +: (1 to 44).map(_ * 7)))
    println("AOM\t" + aom((1 to 44).map(_ * 7) :+ null))
    println("AOM\t" + aom((1 to 44).map(_ * 7)))
    case class Cnt(word: String, n: Int)
    println("CASE\t" + Cnt("a", 1) + "\t" + Cnt("a", 1).hashCode + "\t" + ("a", 1).hashCode)
  }
}
