import onnx, sys, numpy as np
from onnx import helper, numpy_helper, TensorProto
variant = sys.argv[1]  # 'attn' or 'mha'
m = onnx.load(sys.argv[2])
g = m.graph
init = {t.name: numpy_helper.to_array(t) for t in g.initializer}
mm = {}  # matmul node name -> weight name
for n in g.node:
    if n.op_type == 'MatMul' and n.input[1] in init: mm[n.name] = n.input[1]
def W(layer, part): return init[mm[f'/encoder/layer.{layer}/{part}/MatMul']]
nodes, inits = [], []
class N(list):
    def append(self, n):
        n.name = n.name or f'n{len(self)}'
        super().append(n)
nodes = N()
def I(name, arr): inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name)); return name
for x in ['input_ids', 'attention_mask', 'token_type_ids']:
    nodes.append(helper.make_node('Cast', [x], [x + '_i32'], to=TensorProto.INT32))
for k in ['embeddings.word_embeddings.weight','embeddings.position_embeddings.weight','embeddings.token_type_embeddings.weight','embeddings.LayerNorm.weight','embeddings.LayerNorm.bias']:
    I(k, init[k])
nodes.append(helper.make_node('EmbedLayerNormalization', ['input_ids_i32','token_type_ids_i32','embeddings.word_embeddings.weight','embeddings.position_embeddings.weight','embeddings.token_type_embeddings.weight','embeddings.LayerNorm.weight','embeddings.LayerNorm.bias','attention_mask_i32'], ['emb','mask_index'], domain='com.microsoft', epsilon=1e-12))
x = 'emb'
L = 6
for l in range(L):
    p = f'encoder.layer.{l}.'
    wqkv = np.concatenate([W(l,'attention/self/query'), W(l,'attention/self/key'), W(l,'attention/self/value')], axis=1)
    bqkv = np.concatenate([init[p+'attention.self.query.bias'], init[p+'attention.self.key.bias'], init[p+'attention.self.value.bias']])
    I(f'l{l}.wqkv', wqkv); I(f'l{l}.bqkv', bqkv)
    if variant == 'attn':
        nodes.append(helper.make_node('Attention', [x, f'l{l}.wqkv', f'l{l}.bqkv', 'mask_index'], [f'l{l}.ctx'], domain='com.microsoft', num_heads=12))
    else:
        nodes.append(helper.make_node('MatMul', [x, f'l{l}.wqkv'], [f'l{l}.qkv']))
        nodes.append(helper.make_node('Split', [f'l{l}.qkv'], [f'l{l}.q', f'l{l}.k', f'l{l}.v'], axis=2, split=[384,384,384]))
        nodes.append(helper.make_node('MultiHeadAttention', [f'l{l}.q', f'l{l}.k', f'l{l}.v', f'l{l}.bqkv', 'attention_mask_i32'], [f'l{l}.ctx'], domain='com.microsoft', num_heads=12))
    I(f'l{l}.wo', W(l,'attention/output/dense'))
    nodes.append(helper.make_node('MatMul', [f'l{l}.ctx', f'l{l}.wo'], [f'l{l}.ao']))
    I(p+'attention.output.dense.bias', init[p+'attention.output.dense.bias']); I(p+'attention.output.LayerNorm.weight', init[p+'attention.output.LayerNorm.weight']); I(p+'attention.output.LayerNorm.bias', init[p+'attention.output.LayerNorm.bias'])
    nodes.append(helper.make_node('SkipLayerNormalization', [f'l{l}.ao', x, p+'attention.output.LayerNorm.weight', p+'attention.output.LayerNorm.bias', p+'attention.output.dense.bias'], [f'l{l}.y'], domain='com.microsoft', epsilon=1e-12))
    I(f'l{l}.w1', W(l,'intermediate/dense')); I(p+'intermediate.dense.bias', init[p+'intermediate.dense.bias'])
    nodes.append(helper.make_node('MatMul', [f'l{l}.y', f'l{l}.w1'], [f'l{l}.h']))
    nodes.append(helper.make_node('BiasGelu', [f'l{l}.h', p+'intermediate.dense.bias'], [f'l{l}.g'], domain='com.microsoft'))
    I(f'l{l}.w2', W(l,'output/dense')); I(p+'output.dense.bias', init[p+'output.dense.bias']); I(p+'output.LayerNorm.weight', init[p+'output.LayerNorm.weight']); I(p+'output.LayerNorm.bias', init[p+'output.LayerNorm.bias'])
    nodes.append(helper.make_node('MatMul', [f'l{l}.g', f'l{l}.w2'], [f'l{l}.o']))
    out = 'last_hidden_state' if l == L-1 else f'l{l}.out'
    nodes.append(helper.make_node('SkipLayerNormalization', [f'l{l}.o', f'l{l}.y', p+'output.LayerNorm.weight', p+'output.LayerNorm.bias', p+'output.dense.bias'], [out], domain='com.microsoft', epsilon=1e-12))
    x = out
graph = helper.make_graph(nodes, 'bert-fused', list(g.input), list(g.output), inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 11), helper.make_opsetid('com.microsoft', 1)])
model.ir_version = 6
onnx.save(model, sys.argv[3])
print(len(nodes), 'nodes')
