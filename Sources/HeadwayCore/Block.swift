/// What a block computes. Per decoder layer there is one `.attention` block per K/V group (its query heads plus the
/// shared K/V head, carrying that group's K/V cache; for MHA models one per head), one `.projection` block (Wo and the
/// residual add) and one `.feedForward` block (norm, FFN, residual add). Embedding and LM head stay with the controller.
public enum BlockKind: Hashable, Sendable, Codable {
    case attention(group: Int)
    case projection
    case feedForward
}

/// One placeable unit of the model.
public struct Block: Hashable, Sendable, Codable, CustomStringConvertible {
    public var layer: Int
    public var kind: BlockKind
    public init(layer: Int, kind: BlockKind) {
        self.layer = layer
        self.kind = kind
    }
    public var isAttention: Bool { if case .attention = kind { true } else { false } }

    /// Stable name: `L3.head_2`, `L3.projection`, `L3.ffn`; single-layer models drop the `L0.` prefix
    /// (`head_0`, `projection`, `ffn`) to match the reference simulator's names.
    public func name(singleLayer: Bool) -> String {
        let local: String
        switch kind {
        case .attention(let g): local = "head_\(g)"
        case .projection: local = "projection"
        case .feedForward: local = "ffn"
        }
        return singleLayer ? local : "L\(layer).\(local)"
    }
    public var description: String { name(singleLayer: false) }
}

/// The ordered list of blocks of a model: per layer, attention groups 0..<G, then projection, then FFN.
/// Block `i` of a placement always means `layout.blocks[i]`.
public struct BlockLayout: Hashable, Sendable {
    public let layerCount: Int
    public let groupsPerLayer: Int
    public let blocks: [Block]

    public init(shape: ModelShape) {
        layerCount = shape.layerCount
        groupsPerLayer = shape.kvHeadCount
        var b: [Block] = []
        b.reserveCapacity(shape.layerCount * (shape.kvHeadCount + 2))
        for l in 0..<shape.layerCount {
            for g in 0..<shape.kvHeadCount { b.append(Block(layer: l, kind: .attention(group: g))) }
            b.append(Block(layer: l, kind: .projection))
            b.append(Block(layer: l, kind: .feedForward))
        }
        blocks = b
    }

    public var count: Int { blocks.count }
    public var blocksPerLayer: Int { groupsPerLayer + 2 }
    public func attentionIndex(layer: Int, group: Int) -> Int { layer * blocksPerLayer + group }
    public func projectionIndex(layer: Int) -> Int { layer * blocksPerLayer + groupsPerLayer }
    public func feedForwardIndex(layer: Int) -> Int { layer * blocksPerLayer + groupsPerLayer + 1 }
    /// Range of block indices of one layer.
    public func indices(ofLayer layer: Int) -> Range<Int> { (layer * blocksPerLayer)..<((layer + 1) * blocksPerLayer) }

    public func name(of index: Int) -> String { blocks[index].name(singleLayer: layerCount == 1) }

    /// Finds a block by its name (`head_3`, `L2.ffn`, ...).
    public func index(named name: String) -> Int? {
        blocks.indices.first { self.name(of: $0) == name }
    }
}
