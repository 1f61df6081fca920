import HeadwayCore

/// What crosses the network per token between the blocks of one decoder layer, as the request's cost model charges
/// it. The resource-aware planner's communication term (`CommFactor`) is built from these volumes.
///
/// - `DecodeCostModel`: the residual holder R (controller for layer 0, then the previous layer's FFN device) sends the
///   hidden state (`hiddenBytes`) to every device with attention blocks of the layer and to the projection device;
///   each attention device sends one message with its groups' outputs (`groupOutputBytes` each) to the projection;
///   gathers run in parallel; the projection sends `hiddenBytes` to the FFN; the last FFN returns `hiddenBytes` to the
///   controller. A transfer costs path latency + bytes / bandwidth.
/// - `ReferenceCostModel`: only head → projection (`s·d_h·b` per head, times the queries per group) and
///   projection → FFN (`s·D·b`); the gathers are serialised (summed); no latency term, no input scatter, no return.
/// - Any other cost model: the decode-style flow with volumes from the shape (`modelDim` and
///   `queriesPerGroup·headDim` activations).
struct BlockDataFlow: Sendable {
    var hiddenBytes: Double
    /// The layer input as the attention devices receive it (`hiddenBytes`, or less when sent quantized).
    var attentionInputBytes: Double
    var headOutputBytes: Double
    var projectionOutputBytes: Double
    /// The residual holder sends the layer input to every attention device.
    var inputToHeads: Bool
    /// The residual holder sends the layer input to the projection (residual add).
    var residualToProjection: Bool
    /// The last layer's FFN output returns to the controller.
    var returnToController: Bool
    /// Head → projection gathers add up (reference) instead of running in parallel (decode).
    var serializedGathers: Bool
    /// Transfers pay the path latency.
    var paysLatency: Bool

    init(request: PlanningRequest) {
        let cm = request.costModel
        let shape = cm.shape
        if let decode = cm as? DecodeCostModel {
            hiddenBytes = decode.hiddenBytes
            attentionInputBytes = decode.attentionInputBytes
            headOutputBytes = decode.groupOutputBytes
            projectionOutputBytes = decode.hiddenBytes
            inputToHeads = true
            residualToProjection = true
            returnToController = true
            serializedGathers = false
            paysLatency = true
        } else if let reference = cm as? ReferenceCostModel {
            let s = reference.sequenceLength(at: request.position)
            let b = shape.attentionWeightBytes
            let headDim = Double(shape.modelDim / max(shape.headCount, 1))
            hiddenBytes = 0
            attentionInputBytes = 0
            headOutputBytes = s * headDim * b * Double(shape.queriesPerGroup)
            projectionOutputBytes = s * Double(shape.modelDim) * b
            inputToHeads = false
            residualToProjection = false
            returnToController = false
            serializedGathers = true
            paysLatency = false
        } else {
            hiddenBytes = Double(shape.modelDim) * shape.activationBytes
            attentionInputBytes = hiddenBytes
            headOutputBytes = Double(shape.queriesPerGroup * shape.headDim) * shape.activationBytes
            projectionOutputBytes = hiddenBytes
            inputToHeads = true
            residualToProjection = true
            returnToController = true
            serializedGathers = false
            paysLatency = true
        }
    }
}
