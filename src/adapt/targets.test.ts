// Target matching follows PEFT's check_target_module_exists: a string is a full-match regex, a
// list matches names equal to an entry or ending with "." + entry.
import assert from "node:assert/strict";
import { test } from "node:test";
import { LORA_DEFAULT_TARGETS } from "./lora/config.js";
import { MOLRE_DEFAULT_TARGETS } from "./molre/config.js";
import { matchesTarget } from "./targets.js";

// Module names as transformers names them (modeling_dinov2.py, modeling_siglip.py, modeling_dinov3_vit.py).
const DINOV2 = {
  q: "encoder.layer.3.attention.attention.query",
  k: "encoder.layer.3.attention.attention.key",
  v: "encoder.layer.3.attention.attention.value",
  o: "encoder.layer.3.attention.output.dense",
  fc1: "encoder.layer.3.mlp.fc1",
  patch: "embeddings.patch_embeddings.projection",
};
const SIGLIP = {
  q: "vision_model.encoder.layers.0.self_attn.q_proj",
  v: "vision_model.encoder.layers.0.self_attn.v_proj",
  o: "vision_model.encoder.layers.0.self_attn.out_proj",
  fc2: "vision_model.encoder.layers.0.mlp.fc2",
  patch: "vision_model.embeddings.patch_embedding",
};
const DINOV3 = {
  q: "model.layer.11.attention.q_proj",
  v: "model.layer.11.attention.v_proj",
  o: "model.layer.11.attention.o_proj",
  patch: "embeddings.patch_embeddings",
};

test("a list matches whole trailing name segments, not substrings", () => {
  assert.ok(matchesTarget(["query"], DINOV2.q));
  assert.ok(matchesTarget(["attention.query"], DINOV2.q));
  assert.ok(!matchesTarget(["uery"], DINOV2.q));
  assert.ok(!matchesTarget(["attention"], DINOV2.q));
  assert.ok(matchesTarget([DINOV2.q], DINOV2.q));
  assert.ok(!matchesTarget(["q_proj"], "encoder.layers.0.self_attn.qq_proj"));
  assert.ok(matchesTarget(["fc1", "fc2"], SIGLIP.fc2));
});

test("a string is a regular expression matched against the whole name", () => {
  const re = String.raw`.*\.(query|value)`;
  assert.ok(matchesTarget(re, DINOV2.q));
  assert.ok(matchesTarget(re, DINOV2.v));
  assert.ok(!matchesTarget(re, DINOV2.k));
  // full match: a prefix match is not enough
  assert.ok(!matchesTarget("encoder", DINOV2.q));
  assert.ok(matchesTarget(String.raw`encoder\.layer\.(0|3)\..*value`, DINOV2.v));
  assert.ok(!matchesTarget(String.raw`encoder\.layer\.(0|1)\..*value`, DINOV2.v));
});

test("default targets: MoLRE takes q and v of each architecture; LoRA adds k, output and patch embedding", () => {
  for (const arch of [DINOV2, SIGLIP, DINOV3]) {
    assert.ok(matchesTarget(MOLRE_DEFAULT_TARGETS, arch.q));
    assert.ok(matchesTarget(MOLRE_DEFAULT_TARGETS, arch.v));
    assert.ok(!matchesTarget(MOLRE_DEFAULT_TARGETS, arch.o));
    assert.ok(matchesTarget(LORA_DEFAULT_TARGETS, arch.q));
    assert.ok(matchesTarget(LORA_DEFAULT_TARGETS, arch.o));
    assert.ok(matchesTarget(LORA_DEFAULT_TARGETS, arch.patch));
  }
  assert.ok(matchesTarget(LORA_DEFAULT_TARGETS, DINOV2.k));
  assert.ok(!matchesTarget(LORA_DEFAULT_TARGETS, DINOV2.fc1));
  assert.ok(!matchesTarget(LORA_DEFAULT_TARGETS, SIGLIP.fc2));
});
