using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace Mmse.Backbone;

/// <summary>
/// Rewrites an fp32 ONNX graph so every <c>MatMul</c> by a constant weight W [K, N] becomes ONNX
/// Runtime's <c>com.microsoft.DynamicQuantizeMatMul</c>: W stored as int8 with one scale per
/// column (symmetric, max |w| / 127), the activations quantised to uint8 per tensor at run
/// time, and the product run as 8-bit dot products (VNNI where the CPU has it), about 3x the
/// fp32 product on one core. Nothing else changes (biases, layer norms, GELU and the attention
/// products stay fp32). Vectors move a little: cosine to the fp32 vectors is at least 0.997 on
/// catalog titles (docs/backbone.md), so it is an option, not the default.
/// (Block-wise 8-bit MatMulNBits keeps cosine above 0.9999 but ran only 1.2x the fp32 speed
/// here; per-tensor activation scales are what make the kernel fast and what cost the accuracy.)
/// The ONNX file is protobuf; rather than take a protobuf dependency for three message types,
/// this edits the wire format directly: ModelProto.graph (7) and opset_import (8), GraphProto's
/// nodes (1) and initializers (5); every other field is copied byte for byte.
/// </summary>
public static class OnnxWeightQuantizer
{
    private const int FloatType = 1;
    private const int Int8Type = 3;
    private const string MicrosoftDomain = "com.microsoft";

    /// <summary>
    /// The rewritten model bytes and how many MatMuls were quantised. A graph with nothing to
    /// quantise comes back unchanged (count 0).
    /// </summary>
    public static (byte[] Model, int Quantized) Quantize(ReadOnlySpan<byte> model)
    {
        var fields = Parse(model);
        var quantized = 0;
        var hasMicrosoft = false;
        foreach (var f in fields)
        {
            if (f.Number == 8 && OpsetDomain(model.Slice(f.Start, f.Length)) == MicrosoftDomain) hasMicrosoft = true;
        }
        var output = new ProtoWriter();
        foreach (var f in fields)
        {
            if (f.Number == 7 && f.Wire == 2)
            {
                var (graph, count) = RewriteGraph(model.Slice(f.Start, f.Length));
                quantized = count;
                output.Bytes(7, graph);
            }
            else
            {
                output.Raw(model.Slice(f.TagStart, f.Start + f.Length - f.TagStart));
            }
        }
        if (quantized == 0)
            return (model.ToArray(), 0);
        if (!hasMicrosoft)
        {
            var opset = new ProtoWriter();
            opset.String(1, MicrosoftDomain);
            opset.Varint(2, 1);
            output.Bytes(8, opset.ToArray());
        }
        return (output.ToArray(), quantized);
    }

    /// <summary>
    /// Quantises W [K, N] (row-major) per column: scale[n] = max_k |W[k, n]| / 127 and
    /// codes[k, n] = round(W[k, n] / scale[n]) as int8 in [-127, 127]; W ~ codes * scale.
    /// </summary>
    public static void QuantizeColumns(ReadOnlySpan<float> weights, int k, int n, Span<sbyte> codes, Span<float> scales)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(weights.Length, k * n);
        ArgumentOutOfRangeException.ThrowIfNotEqual(codes.Length, k * n);
        ArgumentOutOfRangeException.ThrowIfNotEqual(scales.Length, n);
        scales.Clear();
        for (var r = 0; r < k; r++)
        {
            var row = weights.Slice(r * n, n);
            for (var c = 0; c < n; c++)
                scales[c] = MathF.Max(scales[c], MathF.Abs(row[c]));
        }
        for (var c = 0; c < n; c++)
            scales[c] /= 127f;
        for (var r = 0; r < k; r++)
        {
            for (var c = 0; c < n; c++)
            {
                var inverse = scales[c] > 0 ? 1f / scales[c] : 0f;
                codes[r * n + c] = (sbyte)Math.Clamp((int)MathF.Round(weights[r * n + c] * inverse), -127, 127);
            }
        }
    }

    private static string? OpsetDomain(ReadOnlySpan<byte> opset)
    {
        foreach (var f in Parse(opset))
        {
            if (f.Number == 1 && f.Wire == 2) return Encoding.UTF8.GetString(opset.Slice(f.Start, f.Length));
        }
        return "";
    }

    private static (byte[] Graph, int Count) RewriteGraph(ReadOnlySpan<byte> graph)
    {
        var fields = Parse(graph);
        // Float initializers with two dims, by name: the candidates for B.
        var weights = new Dictionary<string, Field>(StringComparer.Ordinal);
        var uses = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var f in fields)
        {
            if (f.Number == 5 && f.Wire == 2)
            {
                var t = ReadTensorHeader(graph.Slice(f.Start, f.Length));
                if (t.DataType == FloatType && t.Dims.Count == 2 && t.HasData)
                    weights[t.Name] = f;
            }
            else if (f.Number == 1 && f.Wire == 2)
            {
                foreach (var input in ReadNode(graph.Slice(f.Start, f.Length)).Inputs)
                    uses[input] = uses.GetValueOrDefault(input) + 1;
            }
        }
        var replaced = new HashSet<string>(StringComparer.Ordinal);
        var output = new ProtoWriter();
        var added = new List<byte[]>();
        foreach (var f in fields)
        {
            if (f.Number == 1 && f.Wire == 2)
            {
                var node = ReadNode(graph.Slice(f.Start, f.Length));
                if (node.OpType == "MatMul" && node.Domain.Length == 0 && node.Inputs.Count == 2
                    && weights.TryGetValue(node.Inputs[1], out var w) && uses[node.Inputs[1]] == 1)
                {
                    var (k, n, values) = ReadWeight(graph.Slice(w.Start, w.Length));
                    var name = node.Inputs[1];
                    var codes = new sbyte[k * n];   // [K, N]
                    var scales = new float[n];      // [N]
                    QuantizeColumns(values, k, n, codes, scales);
                    added.Add(Tensor(name + "_int8", Int8Type, [k, n], MemoryMarshal.AsBytes(codes.AsSpan()).ToArray()));
                    added.Add(Tensor(name + "_int8_scales", FloatType, [n], MemoryMarshal.AsBytes(scales.AsSpan()).ToArray()));
                    output.Bytes(1, DynamicQuantizeMatMul(node, name));
                    replaced.Add(name);
                    continue;
                }
            }
            output.Raw(graph.Slice(f.TagStart, f.Start + f.Length - f.TagStart));
        }
        if (replaced.Count == 0)
            return (graph.ToArray(), 0);
        // Second pass without the replaced fp32 weights (they would only cost memory).
        // Initializers may come before or after the nodes, so the replaced ones are dropped in a second pass.
        var final = new ProtoWriter();
        var bytes = output.ToArray();
        foreach (var f in Parse(bytes))
        {
            if (f.Number == 5 && f.Wire == 2 && replaced.Contains(ReadTensorHeader(bytes.AsSpan(f.Start, f.Length)).Name))
                continue;
            final.Raw(bytes.AsSpan(f.TagStart, f.Start + f.Length - f.TagStart));
        }
        foreach (var t in added)
            final.Bytes(5, t);
        return (final.ToArray(), replaced.Count);
    }

    private static byte[] DynamicQuantizeMatMul(Node node, string weight)
    {
        var w = new ProtoWriter();
        w.String(1, node.Inputs[0]);
        w.String(1, weight + "_int8");
        w.String(1, weight + "_int8_scales");
        foreach (var o in node.Outputs)
            w.String(2, o);
        w.String(3, node.Name + "_int8");
        w.String(4, "DynamicQuantizeMatMul");
        w.String(7, MicrosoftDomain);
        return w.ToArray();
    }

    private static byte[] Tensor(string name, int dataType, long[] dims, byte[] raw)
    {
        var w = new ProtoWriter();
        foreach (var d in dims)
            w.Varint(1, d);
        w.Varint(2, dataType);
        w.String(8, name);
        w.Bytes(9, raw);
        return w.ToArray();
    }

    private readonly record struct TensorHeader(string Name, int DataType, List<long> Dims, bool HasData);

    private static TensorHeader ReadTensorHeader(ReadOnlySpan<byte> tensor)
    {
        var name = "";
        var type = 0;
        var dims = new List<long>();
        var hasData = false;
        foreach (var f in Parse(tensor))
        {
            switch (f.Number)
            {
                case 1 when f.Wire == 0: dims.Add((long)f.Value); break;
                case 1 when f.Wire == 2:
                    var packed = tensor.Slice(f.Start, f.Length);
                    while (packed.Length > 0)
                        dims.Add((long)ReadVarint(packed, ref packed));
                    break;
                case 2: type = (int)f.Value; break;
                case 8: name = Encoding.UTF8.GetString(tensor.Slice(f.Start, f.Length)); break;
                case 4 or 9: hasData = true; break;
                case 14: hasData = hasData && f.Value == 0; break; // external data: leave it alone
            }
        }
        return new TensorHeader(name, type, dims, hasData);
    }

    private static (int K, int N, float[] Values) ReadWeight(ReadOnlySpan<byte> tensor)
    {
        var header = ReadTensorHeader(tensor);
        var k = (int)header.Dims[0];
        var n = (int)header.Dims[1];
        var values = new float[k * n];
        foreach (var f in Parse(tensor))
        {
            if (f.Number == 9)
                MemoryMarshal.Cast<byte, float>(tensor.Slice(f.Start, f.Length)).CopyTo(values);
            else if (f.Number == 4 && f.Wire == 2)
                MemoryMarshal.Cast<byte, float>(tensor.Slice(f.Start, f.Length)).CopyTo(values);
        }
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("ONNX raw data is little-endian");
        return (k, n, values);
    }

    private readonly record struct Node(string Name, string OpType, string Domain, List<string> Inputs, List<string> Outputs);

    private static Node ReadNode(ReadOnlySpan<byte> node)
    {
        string name = "", op = "", domain = "";
        var inputs = new List<string>();
        var outputs = new List<string>();
        foreach (var f in Parse(node))
        {
            if (f.Wire != 2) continue;
            var s = node.Slice(f.Start, f.Length);
            switch (f.Number)
            {
                case 1: inputs.Add(Encoding.UTF8.GetString(s)); break;
                case 2: outputs.Add(Encoding.UTF8.GetString(s)); break;
                case 3: name = Encoding.UTF8.GetString(s); break;
                case 4: op = Encoding.UTF8.GetString(s); break;
                case 7: domain = Encoding.UTF8.GetString(s); break;
            }
        }
        return new Node(name, op, domain, inputs, outputs);
    }

    /// <summary>One protobuf field: number, wire type, where its tag starts, and its payload (Start/Length for wire type 2, Value for varints).</summary>
    private readonly record struct Field(int Number, int Wire, int TagStart, int Start, int Length, ulong Value);

    private static List<Field> Parse(ReadOnlySpan<byte> message)
    {
        var fields = new List<Field>();
        var rest = message;
        while (rest.Length > 0)
        {
            var tagStart = message.Length - rest.Length;
            var tag = ReadVarint(rest, ref rest);
            var number = (int)(tag >> 3);
            var wire = (int)(tag & 7);
            var start = message.Length - rest.Length;
            switch (wire)
            {
                case 0:
                    var value = ReadVarint(rest, ref rest);
                    fields.Add(new Field(number, wire, tagStart, start, message.Length - rest.Length - start, value));
                    break;
                case 1:
                    fields.Add(new Field(number, wire, tagStart, start, 8, BinaryPrimitives.ReadUInt64LittleEndian(rest)));
                    rest = rest[8..];
                    break;
                case 2:
                    var length = (int)ReadVarint(rest, ref rest);
                    start = message.Length - rest.Length;
                    fields.Add(new Field(number, wire, tagStart, start, length, 0));
                    rest = rest[length..];
                    break;
                case 5:
                    fields.Add(new Field(number, wire, tagStart, start, 4, BinaryPrimitives.ReadUInt32LittleEndian(rest)));
                    rest = rest[4..];
                    break;
                default:
                    throw new InvalidDataException($"protobuf wire type {wire} is not supported");
            }
        }
        return fields;
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> span, ref ReadOnlySpan<byte> rest)
    {
        ulong value = 0;
        for (var i = 0; i < 10; i++)
        {
            var b = span[i];
            value |= (ulong)(b & 0x7F) << (7 * i);
            if (b < 0x80)
            {
                rest = span[(i + 1)..];
                return value;
            }
        }
        throw new InvalidDataException("protobuf varint longer than 10 bytes");
    }

    private sealed class ProtoWriter
    {
        private readonly MemoryStream _stream = new();

        public void Raw(ReadOnlySpan<byte> bytes) => _stream.Write(bytes);

        public void Varint(int field, long value)
        {
            WriteVarint((ulong)(field << 3));
            WriteVarint((ulong)value);
        }

        public void String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

        public void Bytes(int field, ReadOnlySpan<byte> value)
        {
            WriteVarint((ulong)((field << 3) | 2));
            WriteVarint((ulong)value.Length);
            _stream.Write(value);
        }

        public byte[] ToArray() => _stream.ToArray();

        private void WriteVarint(ulong value)
        {
            while (value >= 0x80)
            {
                _stream.WriteByte((byte)(value | 0x80));
                value >>= 7;
            }
            _stream.WriteByte((byte)value);
        }
    }
}
