import Testing
@testable import YingjiCore

@Suite struct MoneyTests {
    @Test(arguments: [
        ("12000000", Int64(12_000_000)), ("1200万", 12_000_000), ("1.2亿", 120_000_000), ("1,200万元", 12_000_000),
        ("1亿", 100_000_000), ("5000万元", 50_000_000), (" 350元 ", 350), ("0", 0), ("0.5万", 5_000), ("1，200万", 12_000_000),
        ("5.", 5), (".5万", 5_000), ("0.00001亿", 1_000), ("1.23456789亿", 123_456_789), ("2.50万", 25_000), ("-0", 0),
        ("007", 7), ("4611686018427387903", Int64.max / 2), ("461168601842738.7903万", Int64.max / 2),
    ])
    func parsesTheWaysPeopleWriteAmounts(_ text: String, _ yuan: Int64) throws {
        #expect(try Money.parse(text) == yuan)
    }

    @Test func refusesWhatIsNotAnAmount() {
        #expect(throws: Money.ParseError.notANumber("一千万")) { try Money.parse("一千万") }
        #expect(throws: Money.ParseError.notANumber("12abc")) { try Money.parse("12abc") }
        #expect(throws: Money.ParseError.empty) { try Money.parse("  ") }
        #expect(throws: Money.ParseError.negative("-5万")) { try Money.parse("-5万") }
        #expect(throws: Money.ParseError.tooPrecise("0.5")) { try Money.parse("0.5") }
        #expect(throws: Money.ParseError.notANumber("万")) { try Money.parse("万") }
        #expect(throws: Money.ParseError.notANumber("1.2.3")) { try Money.parse("1.2.3") }
        #expect(throws: Money.ParseError.notANumber("1-2")) { try Money.parse("1-2") }
        #expect(throws: Money.ParseError.notANumber("-")) { try Money.parse("-") }
        #expect(throws: Money.ParseError.notANumber(".")) { try Money.parse(".") }
        #expect(throws: Money.ParseError.notANumber("１２")) { try Money.parse("１２") }
        #expect(throws: Money.ParseError.negative("-0.5")) { try Money.parse("-0.5") }
        #expect(throws: Money.ParseError.tooPrecise("1.234567891亿")) { try Money.parse("1.234567891亿") }
        #expect(throws: Money.ParseError.tooPrecise("0.12345万")) { try Money.parse("0.12345万") }
        #expect(throws: Money.ParseError.tooLarge("4611686018427387904")) { try Money.parse("4611686018427387904") }
        #expect(throws: Money.ParseError.tooLarge("99999999999999999999999")) { try Money.parse("99999999999999999999999") }
        #expect(throws: Money.ParseError.tooLarge("461168601842738.7904万")) { try Money.parse("461168601842738.7904万") }
        #expect(throws: Money.ParseError.tooLarge("50000000000亿")) { try Money.parse("50000000000亿") }
    }

    @Test func formatsInTheLargestExactUnit() {
        #expect(Money.format(100_000_000) == "1亿元")
        #expect(Money.format(120_000_000) == "1.2亿元")
        #expect(Money.format(12_000_000) == "1200万元")
        #expect(Money.format(9_999) == "9999元")
    }
}

@Suite struct GradeAndLevelTests {
    @Test func gradesParseFromNumbersAndNames() {
        #expect(Grade(parsing: "较大")?.number == 3)
        #expect(Grade(parsing: "1")?.chineseName == "特别重大")
        #expect(Grade(parsing: "5") == nil)
        #expect(Grade(parsing: "严重") == nil)
        #expect(ResponseLevel(parsing: "Ⅲ级")?.number == 3)
        #expect(ResponseLevel(4)?.chineseName == "四级")
    }

    @Test func severityOrder() {
        #expect(Grade(2)!.isAtLeast(Grade(3)!))
        #expect(!Grade(4)!.isAtLeast(Grade(3)!))
    }

    @Test func limitsReadAsThePlansWriteThem() {
        #expect(ObligationRule.describe(minutes: 0) == "立即")
        #expect(ObligationRule.describe(minutes: 30) == "30分钟内")
        #expect(ObligationRule.describe(minutes: 50) == "50分钟内")
        #expect(ObligationRule.describe(minutes: 120) == "2小时内")
        #expect(ObligationRule.describe(minutes: 1440) == "24小时内")
        #expect(ObligationRule.describe(minutes: 43_200) == "30日内")
        #expect(ObligationRule.describe(minutes: 90) == "1小时30分钟内")
    }

    @Test func timestampsKeepChinaOffset() throws {
        let date = try #require(Timestamp.parse("2026-03-01T02:10:00+08:00"))
        #expect(Timestamp.format(date) == "2026-03-01T02:10:00+08:00")
        #expect(Timestamp.parse("2026-02-28T18:10:00Z") == date)
        #expect(Timestamp.human(date) == "2026年3月1日 02:10")
        #expect(Timestamp.parse("昨天") == nil)
    }
}

@Suite struct CriterionValueTests {
    @Test func includedMetricsSaturateInsteadOfOverflowing() throws {
        let plan = GradeCriterion(metric: .deaths, includes: [.missing], min: 30, max: nil, categories: [], text: nil,
                                  source: Source(clause: "1.4", document: "test"))
        #expect(plan.countsMissingAsDead)
        let figures = AccidentFigures([.deaths: .max, .missing: 5])
        #expect(plan.value(of: figures) == .max)
        #expect(plan.value(of: AccidentFigures([.deaths: 3, .missing: 4])) == 7)
    }
}
