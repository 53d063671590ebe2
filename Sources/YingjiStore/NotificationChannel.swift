import Foundation
import Logging
import Crypto
import PostgresKit

/// PostgreSQL's LISTEN/NOTIFY on one channel, for servers that share a database: what one of
/// them publishes, the others hear (DESIGN.md, "one binary … real engine for scale").
///
/// The channel is per database and schema (`yingji_events`, or `yingji_events_<schema>`), so
/// installations or tests kept apart by schema never hear each other. SQLite has no channel: one
/// file is served by one process.
public struct NotificationChannel: Sendable {
    /// The channel's name (an identifier: `yingji_events[_<schema>]`, at most 63 bytes).
    public let name: String
    let configuration: PostgresConnection.Configuration
    let logger: Logger

    /// Largest payload PostgreSQL accepts is 8000 bytes; a message longer than this is not sent.
    public static let payloadLimit = 7_900

    init(schema: String?, configuration: PostgresConnection.Configuration, logger: Logger) {
        name = Self.name(schema: schema)
        var configuration = configuration
        // Named in pg_stat_activity after its channel, so an operator can tell it from the others.
        configuration.options.additionalStartupParameters.append(("application_name", name))
        self.configuration = configuration
        self.logger = logger
    }

    /// `yingji_events[_<schema>]`; a schema too long for a 63-byte identifier keeps its first 40
    /// characters and a digest of the whole name, so two long schemas never share a channel.
    static func name(schema: String?) -> String {
        guard let schema else { return "yingji_events" }
        let full = "yingji_events_" + schema
        guard full.utf8.count > 63 else { return full }
        let digest = SHA256.hash(data: Data(schema.utf8)).prefix(4).map { String(format: "%02x", $0) }.joined()
        return "yingji_events_" + schema.prefix(40) + "_" + digest
    }

    /// Opens a connection of its own, LISTENs, and runs `body` with the payloads heard and the
    /// connection to NOTIFY on (a server also hears what it sent itself). The connection is closed
    /// when `body` returns or throws; a dropped connection ends `heard` with an error.
    public func withConnection<T: Sendable>(
        _ body: (_ heard: AsyncThrowingMapSequence<PostgresNotificationSequence, String>, _ connection: NotificationConnection) async throws -> T
    ) async throws -> T {
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 99, logger: logger)
        do {
            let channel = name
            let result = try await connection.listen(on: channel) { notifications in
                try await body(notifications.map(\.payload), NotificationConnection(connection: connection, channel: channel))
            }
            try? await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }
}

/// The channel's connection, for sending.
public struct NotificationConnection: Sendable {
    let connection: PostgresConnection
    let channel: String

    /// NOTIFY with `payload`. `NotificationRefused` when the database refused this message itself
    /// (sending it again would fail again); any other error means the connection is in doubt.
    public func send(_ payload: String) async throws {
        do {
            try await connection.sql().raw("SELECT pg_notify(\(bind: channel), \(bind: payload)) AS sent").run()
        } catch let error as PSQLError where error.code == .server {
            throw NotificationRefused(reason: error.serverInfo?[.message] ?? "\(error)")
        }
    }

    /// A round trip, so a connection that died without a word is noticed.
    public func ping() async throws {
        try await connection.sql().raw("SELECT 1 AS alive").run()
    }
}

/// The database refused one message (its reason in `reason`); the connection is fine.
public struct NotificationRefused: Error, CustomStringConvertible {
    public let reason: String
    public var description: String { "数据库拒绝了这条事件通知：\(reason)" }
}
