import Foundation

/// One entry of an incident's timeline: who did what, when. Entries are only ever appended;
/// each carries the hash of the one before, so changing any entry breaks every hash after it.
public struct TimelineEntry: Sendable, Equatable, Codable {
    public let incidentID: String
    /// 1, 2, 3 … within the incident.
    public let sequence: Int
    public let at: Date
    public let actor: String
    /// What happened: `incident.reported`, `grade.changed`, `obligation.fulfilled` …
    public let kind: String
    public let payload: JSONValue
    /// For a correction: the sequence number of the entry it corrects.
    public let corrects: Int?
    public let previousHash: String
    public let hash: String
    /// `payload` as canonical JSON: the text stored in the entry's row and the part of
    /// `canonicalData` the hash covers, written once when the entry is made.
    public let payloadText: String

    /// A stored entry as read back; new entries are made with `seal`.
    public init(incidentID: String, sequence: Int, at: Date, actor: String, kind: String, payload: JSONValue,
                corrects: Int?, previousHash: String, hash: String) {
        self.init(incidentID: incidentID, sequence: sequence, at: at, actor: actor, kind: kind, payload: payload,
                  payloadText: String(decoding: payload.canonicalBytes, as: UTF8.self), corrects: corrects,
                  previousHash: previousHash, hash: hash)
    }

    private init(incidentID: String, sequence: Int, at: Date, actor: String, kind: String, payload: JSONValue, payloadText: String,
                 corrects: Int?, previousHash: String, hash: String) {
        self.incidentID = incidentID
        self.sequence = sequence
        self.at = at
        self.actor = actor
        self.kind = kind
        self.payload = payload
        self.payloadText = payloadText
        self.corrects = corrects
        self.previousHash = previousHash
        self.hash = hash
    }

    // The payload's text is not a field of its own: it is made again from the payload.
    private enum CodingKeys: String, CodingKey {
        case incidentID, sequence, at, actor, kind, payload, corrects, previousHash, hash
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(incidentID: try container.decode(String.self, forKey: .incidentID), sequence: try container.decode(Int.self, forKey: .sequence),
                  at: try container.decode(Date.self, forKey: .at), actor: try container.decode(String.self, forKey: .actor),
                  kind: try container.decode(String.self, forKey: .kind), payload: try container.decode(JSONValue.self, forKey: .payload),
                  corrects: try container.decodeIfPresent(Int.self, forKey: .corrects),
                  previousHash: try container.decode(String.self, forKey: .previousHash), hash: try container.decode(String.self, forKey: .hash))
    }

    /// The bytes the hash covers: everything but the hash itself, as canonical JSON (keys in
    /// byte order, as `JSONValue.canonicalBytes` writes an object; written here directly, without
    /// building the object first: every entry of every write is hashed).
    public var canonicalData: Data { Data(canonicalBytes) }

    var canonicalBytes: [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(256)
        output.append(contentsOf: #"{"actor":"#.utf8)
        JSONText.writeString(actor, into: &output)
        output.append(contentsOf: #","at":""#.utf8)
        Timestamp.write(at, into: &output)
        output.append(contentsOf: #"","corrects":"#.utf8)
        if let corrects { JSONText.writeInteger(Int64(corrects), into: &output) } else { output.append(contentsOf: JSONText.null) }
        output.append(contentsOf: #","incidentID":"#.utf8)
        JSONText.writeString(incidentID, into: &output)
        output.append(contentsOf: #","kind":"#.utf8)
        JSONText.writeString(kind, into: &output)
        output.append(contentsOf: #","payload":"#.utf8)
        output.append(contentsOf: payloadText.utf8)
        output.append(contentsOf: #","sequence":"#.utf8)
        JSONText.writeInteger(Int64(sequence), into: &output)
        output.append(UInt8(ascii: "}"))
        return output
    }
}

/// The hash function of the chain: SHA-256 over the previous hash and the entry's canonical
/// JSON, provided by the store (swift-crypto) so the core stays Foundation-only.
public protocol ChainHasher: Sendable {
    func hash(previous: String, canonical: Data) -> String
    /// The same hash over bytes in an array (what sealing writes), without copying them into Data.
    func hash(previous: String, canonicalBytes: [UInt8]) -> String
}

extension ChainHasher {
    public func hash(previous: String, canonicalBytes: [UInt8]) -> String {
        hash(previous: previous, canonical: Data(canonicalBytes))
    }
}

/// The hash the first entry of every chain points back to.
public let genesisHash = String(repeating: "0", count: 64)

/// Something that happened, before it is sealed into the chain.
public struct TimelineEvent: Sendable, Equatable {
    public let kind: String
    public let payload: JSONValue
    public let corrects: Int?

    public init(_ kind: String, _ payload: JSONValue = [:], corrects: Int? = nil) {
        self.kind = kind
        self.payload = payload
        self.corrects = corrects
    }
}

extension TimelineEntry {
    /// Seals `event` as the entry after `previous` (nil for the first entry of an incident).
    public static func seal(_ event: TimelineEvent, incidentID: String, after previous: TimelineEntry?, at: Date, actor: String, hasher: ChainHasher) -> TimelineEntry {
        let unsealed = TimelineEntry(
            incidentID: incidentID, sequence: (previous?.sequence ?? 0) + 1, at: at, actor: actor,
            kind: event.kind, payload: event.payload, corrects: event.corrects,
            previousHash: previous?.hash ?? genesisHash, hash: ""
        )
        return unsealed.withHash(hasher.hash(previous: unsealed.previousHash, canonicalBytes: unsealed.canonicalBytes))
    }

    /// Seals the events in order, each after the one before (the first after `previous`), for
    /// one chain: an incident's or a warning's.
    public static func seal(_ events: [TimelineEvent], chain id: String, after previous: TimelineEntry?, at: Date, actor: String,
                            hasher: ChainHasher) -> [TimelineEntry] {
        var sealed: [TimelineEntry] = []
        for event in events {
            sealed.append(seal(event, incidentID: id, after: sealed.last ?? previous, at: at, actor: actor, hasher: hasher))
        }
        return sealed
    }

    func withHash(_ hash: String) -> TimelineEntry {
        TimelineEntry(incidentID: incidentID, sequence: sequence, at: at, actor: actor, kind: kind, payload: payload,
                      payloadText: payloadText, corrects: corrects, previousHash: previousHash, hash: hash)
    }
}

/// Where a chain breaks: the first entry whose links or hash do not add up.
public struct ChainBreak: Sendable, Equatable, CustomStringConvertible {
    public let incidentID: String
    public let sequence: Int
    public let reason: String

    public var description: String { "事故 \(incidentID) 的第 \(sequence) 条记录：\(reason)" }
}

public enum Timeline {
    /// Recomputes the chain; returns the first break, or nil when every entry verifies.
    public static func verify(_ entries: [TimelineEntry], hasher: ChainHasher) -> ChainBreak? {
        var previous = genesisHash
        for (index, entry) in entries.enumerated() {
            if entry.sequence != index + 1 {
                return ChainBreak(incidentID: entry.incidentID, sequence: entry.sequence, reason: "序号不连续（应为 \(index + 1)），记录可能被删除或插入")
            }
            if entry.previousHash != previous {
                return ChainBreak(incidentID: entry.incidentID, sequence: entry.sequence, reason: "前一条记录的哈希对不上，前一条记录可能被修改")
            }
            if hasher.hash(previous: entry.previousHash, canonicalBytes: entry.canonicalBytes) != entry.hash {
                return ChainBreak(incidentID: entry.incidentID, sequence: entry.sequence, reason: "内容与哈希不符，本条记录被修改")
            }
            previous = entry.hash
        }
        return nil
    }
}
