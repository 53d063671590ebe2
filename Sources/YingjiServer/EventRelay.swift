import Foundation
import Logging
import ServiceLifecycle
import YingjiCore
import YingjiStore

/// Several servers on one PostgreSQL database (DESIGN.md §5): what one of them publishes, the
/// boards connected to the others see too. Each event a server publishes is also sent as a
/// PostgreSQL NOTIFY; every server LISTENs and publishes to its own boards what the others sent.
///
/// - Events a server makes up for its own boards from the shared data (`obligation.due_soon`,
///   heartbeats) are not sent: every server makes them.
/// - A message is at most `NotificationChannel.payloadLimit` bytes; a longer event is sent as a
///   `reset`, so the other servers' boards reload instead of missing it.
/// - While the connection is down nothing is heard: once it is back, this server's boards are
///   sent a `reset` (reload), since they may have missed what the others published meanwhile.
/// - `jurisdiction.registered` is not for boards: the others read their jurisdictions again, so a
///   jurisdiction added through one server takes reports on all of them.
public final class EventOutbox: @unchecked Sendable {
    private let lock = NSLock()
    private var pending: [String] = []
    private var waiter: CheckedContinuation<Void, Never>?
    private var dropped = 0
    /// Messages kept while the connection is down; older ones are dropped (the boards are told to reload).
    static let limit = 10_000

    public init() {}

    func put(_ payload: String) {
        let waiting: CheckedContinuation<Void, Never>? = lock.withLock {
            pending.append(payload)
            if pending.count > Self.limit {
                dropped += pending.count - Self.limit
                pending.removeFirst(pending.count - Self.limit)
            }
            defer { waiter = nil }
            return waiter
        }
        waiting?.resume()
    }

    /// Everything waiting to be sent, in order, and how many were dropped since the last take;
    /// waits for at least one (returns empty when the task is cancelled).
    func take() async -> (messages: [String], dropped: Int) {
        while !Task.isCancelled {
            let taken: ([String], Int)? = lock.withLock {
                guard !pending.isEmpty || dropped > 0 else { return nil }
                defer { pending = []; dropped = 0 }
                return (pending, dropped)
            }
            if let taken { return taken }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let ready = lock.withLock {
                        if !pending.isEmpty || dropped > 0 || Task.isCancelled { return true }
                        waiter = continuation
                        return false
                    }
                    if ready { continuation.resume() }
                }
            } onCancel: {
                let waiting = lock.withLock { defer { waiter = nil }; return waiter }
                waiting?.resume()
            }
        }
        return ([], 0)
    }

    /// Puts back messages a dropped connection did not send, ahead of any that came meanwhile.
    func putBack(_ messages: [String]) {
        guard !messages.isEmpty else { return }
        lock.withLock {
            pending = messages + pending
            if pending.count > Self.limit {
                dropped += pending.count - Self.limit
                pending.removeFirst(pending.count - Self.limit)
            }
        }
    }
}

/// What travels between servers: one event, with the server it came from.
struct PeerMessage: Equatable {
    static let resetName = "reset"
    static let jurisdictionRegistered = "jurisdiction.registered"

    let origin: String
    let name: String
    let data: JSONValue
    let access: IncidentAccess?

    var payload: String {
        let message: JSONValue = [
            "origin": .string(origin), "name": .string(name), "data": data,
            "access": access.map { access in
                [
                    "jurisdiction": .string(access.jurisdiction), "organisationID": .optional(access.organisationID),
                    "involvedOrganisations": .array(access.involvedOrganisations.map(JSONValue.string)),
                ]
            } ?? .null,
        ]
        let text = String(decoding: message.canonicalBytes, as: UTF8.self)
        guard text.utf8.count <= NotificationChannel.payloadLimit else {
            return PeerMessage(origin: origin, name: Self.resetName, data: ["reason": "事件过大，请重新加载"], access: nil).payload
        }
        return text
    }

    /// The message in a payload; nil for anything that is not one (never from a Yingji server).
    init?(payload: String) {
        guard let value = try? JSONValue.parse(payload), let origin = value["origin"]?.stringValue, let name = value["name"]?.stringValue,
              let data = value["data"] else { return nil }
        var access: IncidentAccess?
        if let fields = value["access"], fields != .null {
            guard let jurisdiction = fields["jurisdiction"]?.stringValue else { return nil }
            var involved: [String] = []
            if case .array(let items)? = fields["involvedOrganisations"] { involved = items.compactMap(\.stringValue) }
            access = IncidentAccess(jurisdiction: jurisdiction, organisationID: fields["organisationID"]?.stringValue, involvedOrganisations: involved)
        }
        self.init(origin: origin, name: name, data: data, access: access)
    }

    init(origin: String, name: String, data: JSONValue, access: IncidentAccess?) {
        self.origin = origin
        self.name = name
        self.data = data
        self.access = access
    }
}

/// Sends this server's events to the others and publishes theirs here, over the store's
/// notification channel; reconnects (after 0.5 s, doubling to 10 s) when the connection drops.
struct EventRelay: Service {
    let channel: NotificationChannel
    let server: Server
    let outbox: EventOutbox

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var delay = 0.5
            var connectedBefore = false
            while !Task.isCancelled {
                do {
                    try await channel.withConnection { heard, send in
                        if connectedBefore {
                            // Whatever the others published while this server was not listening is lost here.
                            await server.events.publish(PeerMessage.resetName, ["reason": "与其他服务实例的连接已恢复，请重新加载"], relay: false)
                        }
                        connectedBefore = true
                        delay = 0.5
                        try await withThrowingTaskGroup(of: Void.self) { group in
                            group.addTask { try await listen(heard) }
                            group.addTask { try await sendAll(send) }
                            try await group.next()
                            group.cancelAll()
                        }
                    }
                } catch {
                    guard !Task.isCancelled else { break }
                    server.logger.warning("与其他服务实例的事件通道中断，稍后重连", metadata: ["channel": "\(channel.name)", "error": "\(String(reflecting: error))"])
                }
                try? await Task.sleep(for: .milliseconds(Int(delay * 1000)))
                delay = min(delay * 2, 10)
            }
        }
    }

    private func listen(_ heard: some AsyncSequence<String, Error>) async throws {
        let boot = server.events.boot
        for try await payload in heard {
            guard let message = PeerMessage(payload: payload) else {
                server.logger.warning("事件通道收到无法识别的消息，已忽略", metadata: ["channel": "\(channel.name)"])
                continue
            }
            guard message.origin != boot else { continue }
            await server.received(message)
        }
        throw CancellationError()
    }

    private func sendAll(_ send: @Sendable (String) async throws -> Void) async throws {
        while !Task.isCancelled {
            var (messages, dropped) = await outbox.take()
            if dropped > 0 {
                messages.insert(PeerMessage(origin: server.events.boot, name: PeerMessage.resetName,
                                            data: ["reason": "事件过多未能及时转发，请重新加载"], access: nil).payload, at: 0)
            }
            for (index, message) in messages.enumerated() {
                do {
                    try await send(message)
                } catch {
                    outbox.putBack(Array(messages[index...]))
                    throw error
                }
            }
        }
    }
}

extension Server {
    /// An event another server published: to this server's boards, or, for a jurisdiction
    /// registered there, this server's jurisdictions read again.
    func received(_ message: PeerMessage) async {
        if message.name == PeerMessage.jurisdictionRegistered {
            do { try await catalog.load() } catch {
                logger.error("重新读取辖区失败", metadata: ["error": "\(String(reflecting: error))"])
            }
            return
        }
        await events.publish(message.name, message.data, access: message.access, relay: false)
    }
}
