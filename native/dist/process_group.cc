#include "dist/process_group.h"

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <cstdlib>
#include <cstring>
#include <sstream>

#include "common/error_message.h"
#include "dist/heartbeat.h"

namespace bertrun {

namespace {

c10::intrusive_ptr<c10d::Store> connect_store(const ProcessGroupOptions& o, bool as_server) {
  c10d::TCPStoreOptions store_options;
  store_options.port = static_cast<std::uint16_t>(o.master_port);
  store_options.isServer = as_server;
  store_options.numWorkers = static_cast<std::size_t>(o.world_size);
  store_options.waitWorkers = false;
  store_options.timeout = o.timeout;
  auto tcp = c10::make_intrusive<c10d::TCPStore>(o.master_addr, store_options);
  return c10::make_intrusive<c10d::PrefixStore>(o.store_prefix, tcp);
}

// A peer may still have been running this long after the heartbeat round that saw its last
// beat: until its next beat, plus scheduling slack.
constexpr std::chrono::milliseconds kBeatSlack = 2 * Heartbeat::kInterval;

std::string where(const ProcessGroupOptions& o) {
  return "rank " + std::to_string(o.rank) + " of " + std::to_string(o.world_size);
}

}  // namespace

ProcessGroup::ProcessGroup(const ProcessGroupOptions& options) : options_(options) {
  const auto& o = options_;
  if (o.world_size < 1 || o.rank < 0 || o.rank >= o.world_size)
    throw std::invalid_argument("RANK must be in [0, WORLD_SIZE): got RANK=" + std::to_string(o.rank) +
                                ", WORLD_SIZE=" + std::to_string(o.world_size));
  if (o.master_port < 1 || o.master_port > 65535)
    throw std::invalid_argument("MASTER_PORT must be in 1..65535, got " + std::to_string(o.master_port));
  try {
    store_ = connect_store(o, o.host_store && o.rank == 0);
  } catch (...) {
    throw std::runtime_error("rendezvous failed on " + where(o) + ": could not " +
                             (o.host_store && o.rank == 0 ? "listen on " : "reach the store at ") + o.master_addr +
                             ":" + std::to_string(o.master_port) + " (" + describe_exception(std::current_exception()) +
                             "). Fix: check MASTER_ADDR / MASTER_PORT (the port must be free on the node of rank 0), "
                             "and that every rank was started.");
  }
  try {
    if (o.backend == "gloo") {
      auto gloo_options = c10d::ProcessGroupGloo::Options::create(o.timeout);
      // As torch.distributed: GLOO_SOCKET_IFNAME picks the interface; a loopback master means
      // one node (bind loopback); otherwise bind the address this host's name resolves to.
      const char* interface = std::getenv("GLOO_SOCKET_IFNAME");
      if (interface != nullptr && *interface != '\0') {
        gloo_options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(interface));
      } else if (o.master_addr == "127.0.0.1" || o.master_addr == "localhost") {
        gloo_options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
      } else {
        gloo_options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
      }
      backend_ = c10::make_intrusive<c10d::ProcessGroupGloo>(store_, o.rank, o.world_size, gloo_options);
    } else if (o.backend == "nccl") {
      backend_ = create_nccl_backend(store_, o.rank, o.world_size, o.timeout);
    } else {
      throw std::invalid_argument("unknown distributed backend '" + o.backend + "' (use gloo or nccl)");
    }
  } catch (const std::invalid_argument&) {
    throw;
  } catch (...) {
    throw std::runtime_error(
        "creating the " + o.backend + " process group failed on " + where(o) + ": " +
        describe_exception(std::current_exception()) + ". Fix: " +
        (o.backend == "nccl" ? "NCCL needs a CUDA GPU for each local rank (use --ddp_backend gloo on CPU); " : "") +
        "start every rank with the same WORLD_SIZE, MASTER_ADDR and MASTER_PORT, within --ddp_timeout.");
  }
  heartbeat_ = std::make_unique<Heartbeat>(connect_store(o, false), o.rank, o.world_size);
}

ProcessGroup::~ProcessGroup() = default;

std::string ProcessGroup::failure_message(const std::string& what, std::exception_ptr error) const {
  std::ostringstream out;
  out << what << " failed on " << where(options_) << ": " << describe_exception(error) << ".";
  try {
    auto silent = heartbeat_->silent_ranks(std::chrono::milliseconds(2500));
    if (silent.empty()) {
      out << " Every other rank still answers heartbeats; check their output for the first error.";
    } else {
      out << " Rank";
      if (silent.size() > 1) out << "s";
      for (size_t i = 0; i < silent.size(); ++i) out << (i ? ", " : " ") << silent[i];
      out << " stopped responding (no heartbeat for 2.5 s): that worker failed or hangs; see its output.";
    }
  } catch (...) {
    out << " The rendezvous store at " << options_.master_addr << ":" << options_.master_port
        << " is unreachable: the process hosting it (rank 0, or the launcher's agent) has exited.";
  }
  return out.str();
}

std::optional<std::string> ProcessGroup::unresponsive_peers(std::chrono::milliseconds limit) const {
  const auto activity = activity_.snapshot();
  // A silent peer matters only while this rank needs it: it waits in a collective, or it started
  // one after the silence began (NCCL's wait returns at once; the rank blocks later in a device
  // sync). A peer that finished its last collective and exited before this rank is left alone.
  auto needed = [&](std::chrono::steady_clock::time_point silent_since) {
    return activity.oldest_wait.has_value() ||
           (activity.last_start && *activity.last_start > silent_since + kBeatSlack);
  };
  const auto silence = heartbeat_->silence(limit);
  auto seconds = [](std::chrono::milliseconds d) { return std::to_string(d.count() / 1000); };
  const std::string store = options_.master_addr + ":" + std::to_string(options_.master_port);
  std::ostringstream out;
  if (silence.store && needed(silence.store->since)) {
    const auto quiet = seconds(silence.store->length);
    if (!options_.host_store)
      out << "the rendezvous store at " << store << " (the launcher's agent) stopped responding (no answer for "
          << quiet << " s)";
    else if (options_.rank != 0)
      out << "rank 0 (the rendezvous store host, " << store << ") stopped responding (its store has not answered for "
          << quiet << " s)";
    else
      out << "the rendezvous store this process hosts (" << store << ") stopped answering for " << quiet << " s";
  } else {
    std::vector<Heartbeat::Quiet> silent;
    for (const auto& q : silence.ranks)
      if (needed(q.since)) silent.push_back(q);
    if (silent.empty()) return std::nullopt;
    auto longest = silent.front().length;
    out << (silent.size() > 1 ? "ranks" : "rank");
    for (size_t i = 0; i < silent.size(); ++i) {
      out << (i ? ", " : " ") << silent[i].rank;
      longest = std::max(longest, silent[i].length);
    }
    out << " stopped responding (no heartbeat for " << seconds(longest) << " s)";
  }
  if (activity.oldest_wait)
    out << " while " << where(options_) << " waited in " << activity.oldest_wait->what;
  else
    out << " after " << where(options_) << " started a collective that needs it";
  out << ". A worker that is stopped (SIGSTOP, Ctrl-Z, a debugger) or on a frozen node never finishes a collective: "
         "this worker exits so that the launcher stops the job (or restarts it under --max_restarts). "
         "--ddp_heartbeat_timeout sets the limit (0 turns the check off).";
  return out.str();
}

c10::intrusive_ptr<c10d::Work> ProcessGroup::start_allreduce_sum(torch::Tensor& tensor) {
  std::vector<torch::Tensor> tensors{tensor};
  c10d::AllreduceOptions opts;
  opts.reduceOp = c10d::ReduceOp::SUM;
  activity_.started();
  return backend_->allreduce(tensors, opts);
}

void ProcessGroup::wait_for(const c10::intrusive_ptr<c10d::Work>& work, const std::string& what) {
  try {
    CollectiveActivity::Waiting waiting(activity_, what);
    work->wait();
  } catch (...) {
    throw std::runtime_error(failure_message(what, std::current_exception()));
  }
}

void ProcessGroup::allreduce_sum(torch::Tensor& tensor, const std::string& what) {
  c10::intrusive_ptr<c10d::Work> work;
  try {
    work = start_allreduce_sum(tensor);
  } catch (...) {
    throw std::runtime_error(failure_message(what, std::current_exception()));
  }
  wait_for(work, what);
}

void ProcessGroup::broadcast(std::vector<torch::Tensor>& tensors, int root, const std::string& what) {
  for (auto& t : tensors) {
    std::vector<torch::Tensor> one{t};
    c10d::BroadcastOptions opts;
    opts.rootRank = root;
    c10::intrusive_ptr<c10d::Work> work;
    try {
      activity_.started();
      work = backend_->broadcast(one, opts);
    } catch (...) {
      throw std::runtime_error(failure_message(what, std::current_exception()));
    }
    wait_for(work, what);
  }
}

std::vector<std::vector<uint8_t>> ProcessGroup::allgather_bytes(const std::vector<uint8_t>& mine,
                                                                const std::string& what) {
  const auto device = options_.device;
  auto gather = [&](const torch::Tensor& input) {
    std::vector<std::vector<torch::Tensor>> outputs(1);
    for (int r = 0; r < world_size(); ++r) outputs[0].push_back(torch::empty_like(input));
    std::vector<torch::Tensor> inputs{input};
    c10::intrusive_ptr<c10d::Work> work;
    try {
      activity_.started();
      work = backend_->allgather(outputs, inputs, c10d::AllgatherOptions());
    } catch (...) {
      throw std::runtime_error(failure_message(what, std::current_exception()));
    }
    wait_for(work, what);
    return outputs[0];
  };
  // Sizes first, then every payload padded to the longest.
  auto sizes = gather(torch::tensor({static_cast<int64_t>(mine.size())}, torch::kInt64).to(device));
  int64_t longest = 0;
  std::vector<int64_t> lengths;
  for (auto& s : sizes) {
    lengths.push_back(s.cpu().item<int64_t>());
    longest = std::max(longest, lengths.back());
  }
  auto payload = torch::zeros({std::max<int64_t>(longest, 1)}, torch::kUInt8);
  if (!mine.empty()) std::memcpy(payload.data_ptr<uint8_t>(), mine.data(), mine.size());
  auto gathered = gather(payload.to(device));
  std::vector<std::vector<uint8_t>> out;
  for (int r = 0; r < world_size(); ++r) {
    auto host = gathered[r].cpu();
    const uint8_t* p = host.data_ptr<uint8_t>();
    out.emplace_back(p, p + lengths[r]);
  }
  return out;
}

void ProcessGroup::barrier() {
  c10::intrusive_ptr<c10d::Work> work;
  try {
    activity_.started();
    work = backend_->barrier(c10d::BarrierOptions());
  } catch (...) {
    throw std::runtime_error(failure_message("barrier", std::current_exception()));
  }
  wait_for(work, "barrier");
}

}  // namespace bertrun
