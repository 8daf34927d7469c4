package org.dpsynth.foundation;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Writes the few ONNX messages (onnx.proto: NodeProto, AttributeProto, TensorProto, ValueInfoProto)
 * that the int8 rewriter adds to a model and that tests build small models from, in the protobuf
 * wire format, so no ONNX or protobuf library is needed. Field numbers are onnx.proto's.
 */
public final class OnnxProto {
  /** TensorProto.DataType FLOAT. */
  public static final int FLOAT = 1;
  /** TensorProto.DataType INT8. */
  public static final int INT8 = 3;

  // onnx.proto field numbers (public: the int8 rewriter parses the same messages).
  public static final int MODEL_GRAPH = 7;
  public static final int GRAPH_NODE = 1;
  public static final int GRAPH_INITIALIZER = 5;
  public static final int GRAPH_INPUT = 11;
  public static final int GRAPH_OUTPUT = 12;
  public static final int NODE_INPUT = 1;
  public static final int NODE_OUTPUT = 2;
  public static final int NODE_OP_TYPE = 4;
  public static final int NODE_DOMAIN = 7;
  public static final int TENSOR_DIMS = 1;
  public static final int TENSOR_DATA_TYPE = 2;
  public static final int TENSOR_FLOAT_DATA = 4;
  public static final int TENSOR_NAME = 8;
  public static final int TENSOR_RAW_DATA = 9;
  private static final int NODE_NAME = 3;
  private static final int NODE_ATTRIBUTE = 5;
  private static final int ATTR_NAME = 1;
  private static final int ATTR_I = 3;
  private static final int ATTR_TYPE = 20;
  private static final int ATTR_TYPE_INT = 2;

  private OnnxProto() {}

  /** A NodeProto; {@code attribute} (an AttributeProto) may be null. */
  public static byte[] node(String op, String name, List<String> inputs, List<String> outputs, byte[] attribute) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (String in : inputs) {
      writeString(b, NODE_INPUT, in);
    }
    for (String o : outputs) {
      writeString(b, NODE_OUTPUT, o);
    }
    writeString(b, NODE_NAME, name);
    writeString(b, NODE_OP_TYPE, op);
    if (attribute != null) {
      writeBytes(b, NODE_ATTRIBUTE, attribute);
    }
    return b.toByteArray();
  }

  /** An integer AttributeProto. */
  public static byte[] intAttribute(String name, long value) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    writeString(b, ATTR_NAME, name);
    writeVarintField(b, ATTR_I, value);
    writeVarintField(b, ATTR_TYPE, ATTR_TYPE_INT);
    return b.toByteArray();
  }

  /** Little-endian float32 bytes, the raw_data of a FLOAT tensor. */
  public static byte[] floats(float[] v) {
    ByteBuffer b = ByteBuffer.allocate(v.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    for (float f : v) {
      b.putFloat(f);
    }
    return b.array();
  }

  /** A TensorProto with {@code raw} data. */
  public static byte[] tensor(String name, int type, long[] dims, byte[] raw) {
    ByteArrayOutputStream b = new ByteArrayOutputStream(raw.length + 64);
    for (long d : dims) {
      writeVarintField(b, TENSOR_DIMS, d);
    }
    writeVarintField(b, TENSOR_DATA_TYPE, type);
    writeString(b, TENSOR_NAME, name);
    writeBytes(b, TENSOR_RAW_DATA, raw);
    return b.toByteArray();
  }

  /**
   * A ValueInfoProto of a FLOAT tensor: no shape when {@code dims} is null; a negative dimension is
   * written as the symbolic dimension {@code "N"} (any size).
   */
  public static byte[] floatValueInfo(String name, long[] dims) {
    ByteArrayOutputStream tensorType = new ByteArrayOutputStream();
    writeVarintField(tensorType, 1, FLOAT); // TypeProto.Tensor.elem_type
    if (dims != null) {
      ByteArrayOutputStream shape = new ByteArrayOutputStream();
      for (long d : dims) {
        ByteArrayOutputStream dim = new ByteArrayOutputStream();
        if (d < 0) {
          writeString(dim, 2, "N"); // Dimension.dim_param
        } else {
          writeVarintField(dim, 1, d); // Dimension.dim_value
        }
        writeBytes(shape, 1, dim.toByteArray()); // TensorShapeProto.dim
      }
      writeBytes(tensorType, 2, shape.toByteArray()); // TypeProto.Tensor.shape
    }
    ByteArrayOutputStream type = new ByteArrayOutputStream();
    writeBytes(type, 1, tensorType.toByteArray()); // TypeProto.tensor_type
    ByteArrayOutputStream valueInfo = new ByteArrayOutputStream();
    writeString(valueInfo, 1, name); // ValueInfoProto.name
    writeBytes(valueInfo, 2, type.toByteArray()); // ValueInfoProto.type
    return valueInfo.toByteArray();
  }

  // ---- protobuf wire format ----

  public static void writeVarint(ByteArrayOutputStream out, long v) {
    while ((v & ~0x7fL) != 0) {
      out.write((int) ((v & 0x7f) | 0x80));
      v >>>= 7;
    }
    out.write((int) v);
  }

  /** Field {@code number} as a varint (wire type 0). */
  public static void writeVarintField(ByteArrayOutputStream out, int number, long v) {
    writeVarint(out, (long) number << 3);
    writeVarint(out, v);
  }

  /** Field {@code number} as length-delimited bytes (wire type 2): a string, bytes or a sub-message. */
  public static void writeBytes(ByteArrayOutputStream out, int number, byte[] bytes) {
    writeVarint(out, ((long) number << 3) | 2);
    writeVarint(out, bytes.length);
    out.write(bytes, 0, bytes.length);
  }

  public static void writeString(ByteArrayOutputStream out, int number, String s) {
    writeBytes(out, number, s.getBytes(StandardCharsets.UTF_8));
  }
}
