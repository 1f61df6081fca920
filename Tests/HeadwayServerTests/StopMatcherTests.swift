import HeadwayServer
import Testing

@Suite struct StopMatcherTests {
    @Test func holdsBackAPossibleStopAndCutsAtIt() {
        var m = StopMatcher(["</end>"])
        #expect(m.feed("Hello <") == ("Hello ", false))
        #expect(m.feed("/e") == ("", false))
        #expect(m.feed("nd> tail") == ("", true))
    }

    @Test func releasesHeldTextThatTurnsOutNotToBeAStop() {
        var m = StopMatcher(["ab"])
        #expect(m.feed("xa") == ("x", false))
        #expect(m.feed("c") == ("ac", false))
        #expect(m.feed("a") == ("", false))
        #expect(m.flush() == "a")
    }

    @Test func earliestOfSeveralStopsWins() {
        var m = StopMatcher(["world", "lo"])
        #expect(m.feed("hello world") == ("hel", true))
    }

    @Test func noStopsPassesEverything() {
        var m = StopMatcher(["", ""])
        #expect(m.feed("abc") == ("abc", false))
    }
}
