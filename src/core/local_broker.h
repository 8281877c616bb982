// The single-node Broker: routes each operation to the workers of this process by posting to
// their loops (connection targets go straight to the owning worker via the directory). Every
// answer is OK (all workers of a process always answer).
// Thread-safe: callable from any thread; each shard is touched only on its worker's loop.
#pragma once

#include <vector>

#include "core/broker.h"
#include "core/connection_directory.h"
#include "core/shard.h"

namespace wps::core {

class ClientSession;

class LocalBroker : public Broker {
 public:
  struct Worker {
    EventLoop* loop;
    Shard* shard;
  };

  LocalBroker(std::vector<Worker> workers, ConnectionDirectory& directory)
      : workers_(std::move(workers)), directory_(directory) {}

  void publish(const std::string& hubKey, const Target& target,
               OutboundMessagePtr message) override;
  void closeConnections(const std::string& hubKey, const Target& target, std::string reason,
                        EventLoop& reply, StatusDone done) override;
  void addToGroups(const std::string& hubKey, const Target& target, std::vector<std::string> groups,
                   EventLoop& reply, AddDone done) override;
  void removeFromGroups(const std::string& hubKey, const Target& target,
                        std::vector<std::string> groups, EventLoop& reply, CountDone done) override;
  void leaveAllGroups(const std::string& hubKey, const Target& target, EventLoop& reply,
                      CountDone done) override;
  void count(const std::string& hubKey, const Target& target, EventLoop& reply,
             CountDone done) override;
  void permission(const std::string& hubKey, const std::string& connectionId, PermissionOp op,
                  auth::Permission permission, std::string group, EventLoop& reply,
                  PermissionDone done) override;
  void listGroup(const std::string& hubKey, const std::string& group, EventLoop& reply,
                 MembersDone done) override;

 private:
  // Runs `fn(shard)` on every worker that may hold targets of `target` and combines the results
  // with `+=` into `done(total)` on `reply`.
  template <class T>
  void gather(const std::string& hubKey, const Target& target, std::function<T(Shard&)> fn,
              EventLoop& reply, std::function<void(T)> done);

  // Applies `change` to every selected session; `done` gets the number selected.
  void forSelected(const std::string& hubKey, const Target& target,
                   std::function<void(Shard&, ClientSession&)> change, EventLoop& reply,
                   CountDone done);

  // Leaves (Shard::leave) every group for every selected session.
  using GroupChange = bool (Shard::*)(ClientSession&, const std::string&);
  void changeGroups(const std::string& hubKey, const Target& target,
                    std::vector<std::string> groups, GroupChange change, EventLoop& reply,
                    CountDone done);

  // Workers that may hold the targets: the owner for connection targets, all otherwise.
  std::vector<size_t> workersFor(const std::string& hubKey, const Target& target) const;

  std::vector<Worker> workers_;
  ConnectionDirectory& directory_;
};

}  // namespace wps::core
