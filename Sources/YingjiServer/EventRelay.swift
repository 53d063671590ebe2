import Foundation
import Logging
import ServiceLifecycle
import YingjiCore
import YingjiStore

/// The events waiting to be sent to the other servers, each one line (`PeerMessage.line`).
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
            keepWithinLimit()
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
                        precondition(waiter == nil, "EventOutbox has one reader")
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
            keepWithinLimit()
        }
    }

    /// Drops the oldest messages past the limit, counting them. Called with the lock held.
    private func keepWithinLimit() {
        guard pending.count > Self.limit else { return }
        dropped += pending.count - Self.limit
        pending.removeFirst(pending.count - Self.limit)
    }
}

/// What travels between servers: events, each one line of JSON, packed into NOTIFY payloads
/// (`packets`) that name the server they came from on their first line, so a server skips its
/// own without parsing them.
struct PeerMessage: Equatable {
    static let resetName = "reset"
    static let jurisdictionRegistered = "jurisdiction.registered"

    let name: String
    let data: JSONValue
    let access: IncidentAccess?

    /// The event as one line of JSON (canonical JSON escapes every newline). An event too long
    /// for a payload becomes a `reset`: the others' boards reload instead of missing it.
    var line: String {
        let message: JSONValue = [
            "name": .string(name), "data": data,
            "access": access.map { access in
                [
                    "jurisdiction": .string(access.jurisdiction), "organisationID": .optional(access.organisationID),
                    "involvedOrganisations": .array(access.involvedOrganisations.map(JSONValue.string)),
                ]
            } ?? .null,
        ]
        let text = String(decoding: message.canonicalBytes, as: UTF8.self)
        guard text.utf8.count <= Self.longestLine else {
            return Self.reset("事件过大，请重新加载").line
        }
        return text
    }

    /// A `reset`: the boards that receive it reload, for `reason`.
    static func reset(_ reason: String) -> PeerMessage {
        PeerMessage(name: resetName, data: ["reason": .string(reason)], access: nil)
    }

    /// Room for a line in a payload beside the sender's name.
    static let longestLine = NotificationChannel.payloadLimit - 100

    /// The event in a line; nil for anything that is not one.
    init?(line: Substring) {
        guard let value = try? JSONValue.parse(String(line)), let name = value["name"]?.stringValue, let data = value["data"] else { return nil }
        var access: IncidentAccess?
        if let fields = value["access"], fields != .null {
            guard let jurisdiction = fields["jurisdiction"]?.stringValue else { return nil }
            var involved: [String] = []
            if case .array(let items)? = fields["involvedOrganisations"] { involved = items.compactMap(\.stringValue) }
            access = IncidentAccess(jurisdiction: jurisdiction, organisationID: fields["organisationID"]?.stringValue, involvedOrganisations: involved)
        }
        self.init(name: name, data: data, access: access)
    }

    init(name: String, data: JSONValue, access: IncidentAccess?) {
        self.name = name
        self.data = data
        self.access = access
    }

    /// NOTIFY payloads: `origin`, then lines, each payload within the limit, in order; with how
    /// many of the lines each carries.
    static func packets(origin: String, lines: [String]) -> [(payload: String, lines: Int)] {
        var packets: [(payload: String, lines: Int)] = []
        var current = origin
        var count = 0
        for line in lines {
            if current.utf8.count + 1 + line.utf8.count > NotificationChannel.payloadLimit, count > 0 {
                packets.append((current, count))
                current = origin
                count = 0
            }
            current += "\n" + line
            count += 1
        }
        if count > 0 { packets.append((current, count)) }
        return packets
    }

    /// The sender's name, and a way to read the events a payload carries (nil: not a payload of ours).
    static func unpack(_ payload: String) -> (origin: Substring, messages: () -> [PeerMessage?])? {
        guard let newline = payload.firstIndex(of: "\n") else { return nil }
        let origin = payload[..<newline]
        return (origin, { payload[payload.index(after: newline)...].split(separator: "\n").map { PeerMessage(line: $0) } })
    }
}

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
///
/// Sends this server's events to the others and publishes theirs here, over the store's
/// notification channel; reconnects (after 0.5 s, doubling to 10 s) when the connection drops.
/// Delivery is at least once: a message whose NOTIFY went out just as the connection dropped is
/// sent again, and a board may see that event twice (boards reload the incident either way).
struct EventRelay: Service, CustomStringConvertible {
    let channel: NotificationChannel
    let server: Server
    let outbox: EventOutbox
    var description: String { "EventRelay" }
    /// With nothing to send for this long, a round trip checks the connection is alive.
    var idleCheck: Duration = .seconds(30)

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var delay = 0.5
            var missedSome = false
            while !Task.isCancelled {
                let began = ContinuousClock.now
                do {
                    try await channel.withConnection { heard, connection in
                        // Listening from here on. Jurisdictions added through another server while
                        // this one was not (or before it started) are read again; if anything else
                        // may have been missed, the boards are told to reload.
                        await server.reloadJurisdictions()
                        if missedSome {
                            let reset = PeerMessage.reset("与其他服务实例的连接已恢复，请重新加载")
                            server.events.publish(reset.name, reset.data, relay: false)
                        }
                        missedSome = false
                        try await withThrowingTaskGroup(of: Void.self) { group in
                            group.addTask { try await listen(heard) }
                            group.addTask { try await sendAll(connection) }
                            try await group.next()
                            group.cancelAll()
                        }
                    }
                } catch {
                    guard !Task.isCancelled else { break }
                    server.logger.warning("与其他服务实例的事件通道中断，稍后重连", metadata: ["channel": "\(channel.name)", "error": "\(String(reflecting: error))"])
                }
                missedSome = true
                // A connection that held for a while starts the back-off again; one that keeps failing does not.
                if ContinuousClock.now - began > .seconds(10) { delay = 0.5 }
                try? await Task.sleep(for: .milliseconds(Int(delay * 1000)))
                delay = min(delay * 2, 10)
            }
        }
    }

    private func listen(_ heard: some AsyncSequence<String, Error>) async throws {
        let boot = server.events.boot
        for try await payload in heard {
            guard let (origin, messages) = PeerMessage.unpack(payload) else {
                server.logger.warning("事件通道收到无法识别的消息，已忽略", metadata: ["channel": "\(channel.name)"])
                continue
            }
            guard origin != boot else { continue }
            for message in messages() {
                guard let message else {
                    server.logger.warning("事件通道收到无法识别的事件，已忽略", metadata: ["channel": "\(channel.name)"])
                    continue
                }
                await server.received(message)
            }
        }
        throw CancellationError()
    }

    private func sendAll(_ connection: NotificationConnection) async throws {
        let boot = server.events.boot
        while !Task.isCancelled {
            let taken = await withTaskGroup(of: (messages: [String], dropped: Int)?.self) { group in
                group.addTask { await outbox.take() }
                group.addTask {
                    try? await Task.sleep(for: idleCheck)
                    return nil
                }
                // Both results are read: a take that finished as the timer did keeps what it took.
                var taken: (messages: [String], dropped: Int)?
                for await result in group {
                    group.cancelAll()
                    if let result, !result.messages.isEmpty || result.dropped > 0 { taken = result }
                }
                return taken
            }
            guard let (taken, dropped) = taken else {
                guard !Task.isCancelled else { return }
                try await connection.ping()
                continue
            }
            let lines = (dropped > 0 ? [PeerMessage.reset("事件过多未能及时转发，请重新加载").line] : []) + taken
            // Everything waiting goes in as few NOTIFYs as the payload limit allows.
            var sent = 0
            for packet in PeerMessage.packets(origin: boot, lines: lines) {
                do {
                    try await connection.send(packet.payload)
                } catch let refused as NotificationRefused {
                    // Sending it again would fail again: the others are told to reload instead.
                    server.logger.error("事件未能转发给其他服务实例", metadata: ["channel": "\(channel.name)", "error": "\(refused)"])
                    try await connection.send(PeerMessage.packets(origin: boot, lines: [PeerMessage.reset("有事件未能转发，请重新加载").line])[0].payload)
                } catch {
                    outbox.putBack(Array(lines[sent...]))
                    throw error
                }
                sent += packet.lines
            }
        }
    }
}

extension Server {
    /// An event another server published: to this server's boards, or, for a jurisdiction
    /// registered there, this server's jurisdictions read again.
    func received(_ message: PeerMessage) async {
        switch message.name {
        case PeerMessage.jurisdictionRegistered:
            await reloadJurisdictions()
        case PeerMessage.resetName:
            // Whatever another server could not send may stand for a jurisdiction this one never heard of.
            await reloadJurisdictions()
            events.publish(message.name, message.data, access: message.access, relay: false)
        default:
            events.publish(message.name, message.data, access: message.access, relay: false)
        }
    }

    func reloadJurisdictions() async {
        do { try await catalog.load() } catch {
            logger.error("重新读取辖区失败", metadata: ["error": "\(String(reflecting: error))"])
        }
    }
}
