# Usage: python make-tokenizer-reference.py MODEL.gguf tokenizer-reference-texts.json tokenizer-reference.json
# Needs: pip install gguf tokenizers
# Builds a Hugging Face `tokenizers` BPE tokenizer from the GGUF's vocabulary and merges with SmolLM2's pre-tokenizer
# (Digits(individual_digits) then ByteLevel with the GPT-2 regex) and records reference ids for test strings.
import json, sys, gguf
from tokenizers import Tokenizer, models, pre_tokenizers, decoders, AddedToken
r = gguf.GGUFReader(sys.argv[1])
f = r.fields
toks = f['tokenizer.ggml.tokens'].contents()
types = f['tokenizer.ggml.token_type'].contents()
merges = [tuple(m.split(' ', 1)) for m in f['tokenizer.ggml.merges'].contents()]
tok = Tokenizer(models.BPE({t: i for i, t in enumerate(toks)}, merges))
tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True),
                                             pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)])
tok.decoder = decoders.ByteLevel()
tok.add_special_tokens([AddedToken(toks[i], special=True, normalized=False) for i in range(len(toks)) if types[i] == 3])
texts = json.load(open(sys.argv[2]))
cases = [{"text": t, "ids": tok.encode(t, add_special_tokens=False).ids} for t in texts]
for c in cases:
    assert tok.decode(c["ids"], skip_special_tokens=False) == c["text"], c
out = {"description": "Reference token ids for SmolLM2-135M-Instruct.Q4_1.gguf, produced by Hugging Face tokenizers 0.23.3 "
           "(models.BPE over the GGUF's tokenizer.ggml.tokens/merges, pre-tokenizer Sequence[Digits(individual_digits=True), "
           "ByteLevel(add_prefix_space=False, use_regex=True)], control tokens added as special) with make-tokenizer-reference.py (texts from " + sys.argv[2].split("/")[-1] + "); "
           "special tokens parsed, no BOS. The first case equals llama.cpp's ids in llamacpp-reference.json.",
           "cases": cases}
with open(sys.argv[3], "w") as fh:
    fh.write('{\n "description": ' + json.dumps(out["description"]) + ',\n "cases": [\n')
    fh.write(',\n'.join('  ' + json.dumps(c, ensure_ascii=False) for c in cases))
    fh.write('\n ]\n}\n')
print(len(cases), "cases")
