# Writes 400 seeded random strings (mixed scripts, digits, whitespace kinds, contractions, special tokens) for
# make-tokenizer-reference.py:  python make-random-texts.py && python make-tokenizer-reference.py MODEL.gguf \
#   tokenizer-reference-random-texts.json tokenizer-reference-random.json
import json, random
random.seed(7)
alphabet = list("abcXYZ019 ') \n\t\r.,!?-_\"'") + ["'s","'t","'re","'ve","'m","'ll","'d","  ","   ","\n\n"," \n","é","ß","Ω","ж","日本","한","🙂","👨‍👩‍👧","\u0301","\u00a0","\u2003","\u3000","٣","½","Ⅻ","²","$","€","∑","<|im_start|>","<|im_end|>","<s>","\u200b","\ufeff","\x00","\x7f","\x1c","\x85","ǅ","ʰ","〇","𝔘"]
texts = ["".join(random.choice(alphabet) for _ in range(random.randint(1, 25))) for _ in range(400)]
json.dump(texts, open("tokenizer-reference-random-texts.json", "w"), ensure_ascii=False)
