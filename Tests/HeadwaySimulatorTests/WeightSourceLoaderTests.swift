import Foundation
import HeadwayCore
import HeadwayPlanner
import HeadwaySimulator
import Testing

/// `cost_model.weights`: where moved and rebuilt blocks' weights come from.
@Suite struct WeightSourceLoaderTests {
    let loader = ScenarioLoader(plannerNames: Set(PlannerRegistry.names))

    func scenario(_ costModel: String) -> String {
        ScenarioLoaderTests.valid + "\ncost_model: \(costModel)\n"
    }

    func source(_ costModel: String) throws -> WeightSource? {
        let s = try loader.load(text: scenario(costModel), file: "w.yaml")
        return (try s.makeCostModel(cluster: try s.makeCluster(seed: 1)) as? DecodeCostModel)?.weightSource
    }

    @Test func eachFormLoads() throws {
        #expect(try source("decode") == .controller)
        #expect(try source("{kind: decode, weights: controller}") == .controller)
        #expect(try source("{kind: decode, weights: local}") == .localCopy(bandwidth: nil))
        #expect(try source("{kind: decode, weights_preloaded: true}") == .localCopy(bandwidth: nil))
        #expect(try source("{kind: decode, weights: {local_gbs: 0.5}}") == .localCopy(bandwidth: BytesPerSecond(gigabytesPerSecond: 0.5)))
        #expect(try source("{kind: decode, weights: {holder: b}}") == .holder(1))
    }

    @Test func badValuesNameTheField() throws {
        func message(_ cm: String) -> String {
            do {
                _ = try source(cm)
                return ""
            } catch let e as CoreError { return e.message } catch { return "\(error)" }
        }
        #expect(message("{kind: decode, weights: disk}").contains("weights"))
        #expect(message("{kind: decode, weights: {holder: nowhere}}").contains("nowhere"))
        #expect(message("{kind: decode, weights: {local_gbs: -1}}").contains("local_gbs"))
        #expect(message("{kind: decode, weights: {holder: a, local_gbs: 1}}").contains("not both"))
        #expect(message("{kind: decode, weights: local, weights_preloaded: true}").contains("not both"))
    }
}
