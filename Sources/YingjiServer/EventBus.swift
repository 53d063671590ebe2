import Foundation
import NIOCore
import YingjiCore

/// One server-sent event: `incident.created`, `incident.changed`, `obligation.overdue`,
/// `obligation.due_soon` (a reporting deadline within `serve --due-soon-minutes`), `task.escalated`,
/// `task.overdue`, `warning.changed`, `warning.reported`. Ids are `<boot>-<n>`, increasing within one server run.
public struct ServerEvent: Sendable, Equatable {
    public let id: String
    public let name: String
    public let data: JSONValue
    /// Whose incident it concerns; only subscribers allowed to see it receive it (nil: everyone).
    public let access: IncidentAccess?
    /// The text/event-stream frame, written once: every board that receives the event is sent
    /// these same bytes (shared, not copied).
    let frameBytes: ByteBuffer

    public var frame: String { String(buffer: frameBytes) }

    public init(id: String, name: String, data: JSONValue, access: IncidentAccess? = nil) {
        self.id = id
        self.name = name
        self.data = data
        self.access = access
        var frame = Array("id: \(id)\nevent: \(name)\ndata: ".utf8)
        frame.reserveCapacity(frame.count + 512)
        data.write(into: &frame)
        frame.append(contentsOf: "\n\n".utf8)
        frameBytes = ByteBuffer(bytes: frame)
    }
}

/// Fans events out to every connected board and keeps the latest ones (at least `kept`) so a client that
/// reconnects with `Last-Event-ID` gets what it missed. An id from another server run, or one
/// older than the kept window, gets a `reset` event: the client must reload its state.
///
/// Every call is done under one lock, in the caller's own thread: a write publishes its event
/// without leaving its event loop (as an actor, each write's request hopped to the actor's
/// thread and back). Nothing done under the lock waits: a board's stream takes the event into
/// its own buffer.
public final class EventBus: @unchecked Sendable {
    public static let kept = 10_000
    /// This server run's mark: event ids start with it, and messages to other servers carry it.
    public let boot: String
    /// Where events for the other servers on the same database go (PostgreSQL); nil: none.
    let outbox: EventOutbox?
    private let lock = NSLock()
    private var counter = 0
    private var recent: [(number: Int, event: ServerEvent)] = []
    private var subscribers: [UUID: Subscriber] = [:]

    /// A connected stream and which incidents its account may see.
    private struct Subscriber {
        let continuation: AsyncStream<ServerEvent>.Continuation
        let mayReceive: @Sendable (IncidentAccess) -> Bool

        func offer(_ event: ServerEvent) {
            if event.access.map(mayReceive) ?? true { continuation.yield(event) }
        }
    }

    public init(boot: String = String(UInt32.random(in: 0...UInt32.max), radix: 36), outbox: EventOutbox? = nil) {
        self.boot = boot
        self.outbox = outbox
    }

    public var subscriberCount: Int { lock.withLock { subscribers.count } }

    /// Sends the event to this server's boards and, unless `relay` is false, to the other servers'
    /// (through `EventRelay`). Events every server makes up for itself, and those heard from another
    /// server, are not relayed.
    public func publish(_ name: String, _ data: JSONValue, access: IncidentAccess? = nil, relay: Bool = true) {
        lock.withLock {
            // Under the lock too: the other servers hear events in the order they are numbered here.
            if relay { outbox?.put(PeerMessage(name: name, data: data, access: access).line) }
            counter += 1
            let event = ServerEvent(id: "\(boot)-\(counter)", name: name, data: data, access: access)
            recent.append((counter, event))
            // Trimmed a tenth at a time: dropping one from the front of a full window on every event
            // moved all ten thousand others each time.
            if recent.count > Self.kept + Self.kept / 10 { recent.removeFirst(recent.count - Self.kept) }
            for subscriber in subscribers.values { subscriber.offer(event) }
        }
    }

    /// Tells the other servers something that is not for boards (`jurisdiction.registered`).
    public func tellPeers(_ name: String, _ data: JSONValue) {
        outbox?.put(PeerMessage(name: name, data: data, access: nil).line)
    }

    /// A keep-alive for every subscriber, so dead connections are noticed and proxies stay open.
    public func heartbeat() {
        let beat = ServerEvent(id: "", name: "", data: .null)
        lock.withLock {
            for subscriber in subscribers.values { subscriber.continuation.yield(beat) }
        }
    }

    /// Subscribes; returns the events missed since `lastEventID` (or a reset) and the live stream,
    /// both holding only events about incidents `mayReceive` allows.
    public func subscribe(lastEventID: String?, mayReceive: @escaping @Sendable (IncidentAccess) -> Bool = { _ in true })
        -> (id: UUID, missed: [ServerEvent], stream: AsyncStream<ServerEvent>) {
        let id = UUID()
        let (stream, continuation) = AsyncStream<ServerEvent>.makeStream(bufferingPolicy: .bufferingNewest(1_000))
        // Ended by the board (its connection closed): forgotten, on a task of its own, not inside the stream's handler.
        continuation.onTermination = { [weak self] _ in
            Task { self?.unsubscribe(id) }
        }
        let missed = lock.withLock {
            subscribers[id] = Subscriber(continuation: continuation, mayReceive: mayReceive)
            return self.missed(since: lastEventID)
        }
        return (id, missed.filter { $0.access.map(mayReceive) ?? true }, stream)
    }

    public func unsubscribe(_ id: UUID) {
        lock.withLock { subscribers.removeValue(forKey: id) }?.continuation.finish()
    }

    /// Ends every stream (shutdown): open event connections complete so the server can stop.
    public func finishAll() {
        let ending = lock.withLock {
            defer { subscribers.removeAll() }
            return Array(subscribers.values)
        }
        for subscriber in ending { subscriber.continuation.finish() }
    }

    /// The kept events after `lastEventID`; called under the lock.
    private func missed(since lastEventID: String?) -> [ServerEvent] {
        guard let lastEventID, !lastEventID.isEmpty else { return [] }
        let reset = ServerEvent(id: "\(boot)-\(counter)", name: "reset", data: ["reason": "事件已过期或服务已重启，请重新加载"])
        let parts = lastEventID.split(separator: "-", maxSplits: 1)
        guard parts.count == 2, parts[0] == boot, let number = Int(parts[1]), number <= counter else { return [reset] }
        if number == counter { return [] }
        guard let oldest = recent.first?.number, number >= oldest - 1 else { return [reset] }
        return recent.filter { $0.number > number }.map(\.event)
    }
}
