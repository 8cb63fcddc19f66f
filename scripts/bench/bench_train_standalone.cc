// The baseline for scripts/bench-train.js: the same BERT training step as the addon
// (forward + loss + backward, clip 1.0, AdamW, zero grad) from a plain C++ program, no Node.
// Usage: bench_train_standalone layers hidden heads intermediate vocab batch seq steps warmup threads
// Prints one JSON line: { "train_samples_per_s": ..., "infer_samples_per_s": ... }.
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "model/heads.h"
#include "train/adamw.h"
#include "train/grad_clip.h"

using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  if (argc != 11) {
    std::fprintf(stderr, "usage: %s layers hidden heads intermediate vocab batch seq steps warmup threads\n", argv[0]);
    return 2;
  }
  auto arg = [&](int i) { return std::atoll(argv[i]); };
  bertrun::BertConfig config;
  config.num_hidden_layers = arg(1);
  config.hidden_size = arg(2);
  config.num_attention_heads = arg(3);
  config.intermediate_size = arg(4);
  config.vocab_size = arg(5);
  config.num_labels = 2;
  // The rest as Hugging Face's BertConfig defaults (what bench-train.js's bertrun model gets from
  // lib/config/bert_config.ts): the native struct has no defaults of its own.
  config.hidden_act = "gelu";
  config.hidden_dropout_prob = 0.1;
  config.attention_probs_dropout_prob = 0.1;
  config.max_position_embeddings = 512;
  config.type_vocab_size = 2;
  config.initializer_range = 0.02;
  config.layer_norm_eps = 1e-12;
  config.pad_token_id = 0;
  config.classifier_dropout = -1;  // none: the hidden dropout
  const int64_t batch = arg(6), seq = arg(7), steps = arg(8), warmup = arg(9);
  at::set_num_threads(static_cast<int>(arg(10)));
  torch::manual_seed(0);

  auto model = std::make_shared<bertrun::TaskModel>(bertrun::Task::SequenceClassification, config);
  std::vector<std::pair<std::string, torch::Tensor>> named;
  std::vector<bool> decayed;
  std::vector<torch::Tensor> params;
  for (const auto& p : model->named_parameters()) {
    named.emplace_back(p.key(), p.value());
    decayed.push_back(bertrun::TaskModel::decays(p.key()));
    params.push_back(p.value());
  }
  bertrun::AdamW optimizer(named, decayed, bertrun::AdamWOptions{0.9, 0.999, 1e-8, 0.01});

  bertrun::BertInputs inputs;
  inputs.input_ids = torch::randint(1, config.vocab_size, {batch, seq}, torch::kLong);
  inputs.token_type_ids = torch::zeros({batch, seq}, torch::kLong);
  bertrun::TaskLabels labels;
  labels.labels = torch::randint(0, 2, {batch}, torch::kLong);

  model->train();
  auto train_step = [&] {
    auto out = model->forward(inputs, labels, {});
    out.loss.backward();
    bertrun::clip_grad_norm(params, 1.0);
    optimizer.step(1e-5);
    model->zero_grad(true);
  };
  for (int64_t i = 0; i < warmup; ++i) train_step();
  auto t0 = Clock::now();
  for (int64_t i = 0; i < steps; ++i) train_step();
  const double train_s = std::chrono::duration<double>(Clock::now() - t0).count();

  model->eval();
  auto infer_step = [&] {
    torch::NoGradGuard no_grad;
    auto out = model->forward(inputs, {}, {});
    (void)out.tensors[0].second.sum().item<float>();
  };
  for (int64_t i = 0; i < warmup; ++i) infer_step();
  t0 = Clock::now();
  for (int64_t i = 0; i < steps; ++i) infer_step();
  const double infer_s = std::chrono::duration<double>(Clock::now() - t0).count();

  std::printf("{\"train_samples_per_s\": %.4f, \"infer_samples_per_s\": %.4f}\n", batch * steps / train_s,
              batch * steps / infer_s);
  return 0;
}
