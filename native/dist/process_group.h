// One c10d process group per process: rendezvous through a TCPStore, then Gloo (CPU tensors) or
// NCCL (CUDA tensors) collectives. The engine is PyTorch's own; this class only wires it up,
// turns a failed collective into an error that names the rank that stopped responding, and
// names a peer that hangs while this rank needs it (unresponsive_peers).
#pragma once
#include <torch/torch.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dist/collective_activity.h"

namespace c10d {
class Backend;
class Store;
class Work;
}  // namespace c10d

namespace bertrun {

struct ProcessGroupOptions {
  int rank = 0;
  int world_size = 1;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  // Rank 0 hosts the store unless a launcher's agent already does (torchrun's
  // TORCHELASTIC_USE_AGENT_STORE); every rank is then a client.
  bool host_store = true;
  // Keys of one launch attempt, so a restarted group never reads a previous attempt's keys.
  std::string store_prefix = "/worker/attempt_0";
  std::chrono::milliseconds timeout{std::chrono::minutes(30)};
  std::string backend = "gloo";  // gloo | nccl
  torch::Device device{torch::kCPU};
};

class Heartbeat;

class ProcessGroup {
 public:
  // Blocks until every rank has joined (or the timeout passes).
  explicit ProcessGroup(const ProcessGroupOptions& options);
  ~ProcessGroup();

  int rank() const { return options_.rank; }
  int world_size() const { return options_.world_size; }
  const ProcessGroupOptions& options() const { return options_; }

  // Starts a sum all-reduce of one dense tensor in place; wait() on the result (see wait_for).
  c10::intrusive_ptr<c10d::Work> start_allreduce_sum(torch::Tensor& tensor);
  // Waits for `work`; a failure becomes an error naming `what` and the unresponsive ranks.
  void wait_for(const c10::intrusive_ptr<c10d::Work>& work, const std::string& what);

  void allreduce_sum(torch::Tensor& tensor, const std::string& what);
  // Every tensor takes root's values.
  void broadcast(std::vector<torch::Tensor>& tensors, int root, const std::string& what);
  // Each rank's byte string, in rank order (lengths may differ between ranks).
  std::vector<std::vector<uint8_t>> allgather_bytes(const std::vector<uint8_t>& mine, const std::string& what);
  void barrier();

  // Set when a peer has not beaten for `limit` (or the store host has not answered for that
  // long) while this rank needs it in a collective: a message naming it, for the watchdog that
  // stops this worker instead of waiting out the collective's timeout. Never touches the store.
  std::optional<std::string> unresponsive_peers(std::chrono::milliseconds limit) const;

 private:
  std::string failure_message(const std::string& what, std::exception_ptr error) const;

  ProcessGroupOptions options_;
  c10::intrusive_ptr<c10d::Store> store_;
  c10::intrusive_ptr<c10d::Backend> backend_;
  std::unique_ptr<Heartbeat> heartbeat_;
  CollectiveActivity activity_;
};

// Built only when the NCCL headers were found (native/dist/nccl_backend.cc).
c10::intrusive_ptr<c10d::Backend> create_nccl_backend(const c10::intrusive_ptr<c10d::Store>& store, int rank, int size,
                                                      std::chrono::milliseconds timeout);

}  // namespace bertrun
