# ruff: noqa: E501
"""A compact FIX 4.4 data dictionary for the messages this engine supports.

What it is: field types and enumerations, the standard header and trailer, and
per message type the allowed fields (components flattened), the required ones
and the repeating groups, written in a small text notation parsed by
`quoter.fix.dictionary`. Field and message definitions follow the FIX 4.4
specification (as also published in QuickFIX's FIX44.xml).

What it is not: the whole FIX 4.4 repository. Messages outside the list are
"unsupported" (valid MsgType, no body check); any tag 1..956 is a known FIX 4.4
tag number (so it gets "Tag not defined for this message type" rather than
"Invalid tag number"). Load QuickFIX's FIX44.xml with
`Dictionary.from_quickfix_xml` for full coverage.

Notation: `TAG` allowed, `TAG!` required, `NUM{...}` a repeating group whose
first member is the delimiter, `@Name` a component from COMPONENTS.
"""

from __future__ import annotations

# tag name TYPE [enum values separated by spaces after a colon]
FIELDS = """
1 Account STRING
6 AvgPx PRICE
7 BeginSeqNo SEQNUM
8 BeginString STRING
9 BodyLength LENGTH
10 CheckSum STRING
11 ClOrdID STRING
12 Commission AMT
13 CommType CHAR : 1 2 3 4 5 6
14 CumQty QTY
15 Currency CURRENCY
16 EndSeqNo SEQNUM
17 ExecID STRING
18 ExecInst MULTIPLEVALUESTRING : 0 1 2 3 4 5 6 7 8 9 A B C D E F G H I J K L M N O P Q R S U V W X Y Z a b c d e
19 ExecRefID STRING
21 HandlInst CHAR : 1 2 3
22 SecurityIDSource STRING : 1 2 3 4 5 6 7 8 9 A B C D E F G H I J
23 IOIID STRING
29 LastCapacity CHAR : 1 2 3 4
30 LastMkt EXCHANGE
31 LastPx PRICE
32 LastQty QTY
34 MsgSeqNum SEQNUM
35 MsgType STRING : 0 1 2 3 4 5 6 7 8 9 A B C D E F G H J K L M N P Q R S T V W X Y Z a b c d e f g h i j k l m n o p q r s t u v w x y z AA AB AC AD AE AF AG AH AI AJ AK AL AM AN AO AP AQ AR AS AT AU AV AW AX AY AZ BA BB BC BD BE BF BG BH
36 NewSeqNo SEQNUM
37 OrderID STRING
38 OrderQty QTY
39 OrdStatus CHAR : 0 1 2 3 4 6 7 8 9 A B C D E
40 OrdType CHAR : 1 2 3 4 6 7 8 9 D E G I J K L M P
41 OrigClOrdID STRING
43 PossDupFlag BOOLEAN : N Y
44 Price PRICE
45 RefSeqNum SEQNUM
48 SecurityID STRING
49 SenderCompID STRING
50 SenderSubID STRING
52 SendingTime UTCTIMESTAMP
54 Side CHAR : 1 2 3 4 5 6 7 8 9 A B C D E F G
55 Symbol STRING
56 TargetCompID STRING
57 TargetSubID STRING
58 Text STRING
59 TimeInForce CHAR : 0 1 2 3 4 5 6 7
60 TransactTime UTCTIMESTAMP
62 ValidUntilTime UTCTIMESTAMP
63 SettlType CHAR : 0 1 2 3 4 5 6 7 8 9
64 SettlDate LOCALMKTDATE
65 SymbolSfx STRING
66 ListID STRING
70 AllocID STRING
75 TradeDate LOCALMKTDATE
77 PositionEffect CHAR : C F O R
78 NoAllocs NUMINGROUP
79 AllocAccount STRING
80 AllocQty QTY
81 ProcessCode CHAR : 0 1 2 3 4 5 6
89 Signature DATA
90 SecureDataLen LENGTH
91 SecureData DATA
93 SignatureLength LENGTH
95 RawDataLength LENGTH
96 RawData DATA
97 PossResend BOOLEAN : N Y
98 EncryptMethod INT : 0 1 2 3 4 5 6
99 StopPx PRICE
100 ExDestination EXCHANGE
102 CxlRejReason INT : 0 1 2 3 4 5 6 99
103 OrdRejReason INT : 0 1 2 3 4 5 6 7 8 9 10 11 13 14 15 99
106 Issuer STRING
107 SecurityDesc STRING
108 HeartBtInt INT
110 MinQty QTY
111 MaxFloor QTY
112 TestReqID STRING
114 LocateReqd BOOLEAN : N Y
115 OnBehalfOfCompID STRING
116 OnBehalfOfSubID STRING
117 QuoteID STRING
118 NetMoney AMT
119 SettlCurrAmt AMT
120 SettlCurrency CURRENCY
121 ForexReq BOOLEAN : N Y
122 OrigSendingTime UTCTIMESTAMP
123 GapFillFlag BOOLEAN : N Y
126 ExpireTime UTCTIMESTAMP
128 DeliverToCompID STRING
129 DeliverToSubID STRING
131 QuoteReqID STRING
132 BidPx PRICE
133 OfferPx PRICE
134 BidSize QTY
135 OfferSize QTY
136 NoMiscFees NUMINGROUP
137 MiscFeeAmt AMT
138 MiscFeeCurr CURRENCY
139 MiscFeeType STRING : 1 2 3 4 5 6 7 8 9 10 11 12
140 PrevClosePx PRICE
141 ResetSeqNumFlag BOOLEAN : N Y
142 SenderLocationID STRING
143 TargetLocationID STRING
144 OnBehalfOfLocationID STRING
145 DeliverToLocationID STRING
146 NoRelatedSym NUMINGROUP
150 ExecType CHAR : 0 3 4 5 6 7 8 9 A B C D E F G H I
151 LeavesQty QTY
152 CashOrderQty QTY
167 SecurityType STRING : AN BA BN CB CD CL CP CS DN GO MF MT PN PS TD ABS BOX CMO CPP FAC FOR FUT IET LQN MBS MIO MPO MPP MPT MTN OPT PEF RAN REV STN TAN TBA UST WAR XCN YCD CMBS COFO COFP CORP DINP DUAL EUCD EUCP FADN LOFC MLEG NONE PZFJ REPO RVLV TAXA TCAL TECP TERM TINT TIPS TPRN TRAN USTB VRDN YANK BRADY EUSOV ONITE PFAND SPCLA SPCLO SPCLT SUPRA SWING TBILL TBOND TNOTE BRIDGE EUCORP STRUCT XLINKD AMENDED BUYSELL DEFLTED EUSUPRA FORWARD MATURED REPLACD RETIRED RVLVTRM SECLOAN WITHDRN SECPLEDGE
168 EffectiveTime UTCTIMESTAMP
192 OrderQty2 QTY
193 SettlDate2 LOCALMKTDATE
198 SecondaryOrderID STRING
200 MaturityMonthYear MONTHYEAR
201 PutOrCall INT : 0 1
202 StrikePrice PRICE
206 OptAttribute CHAR
207 SecurityExchange EXCHANGE
210 MaxShow QTY
211 PegOffsetValue FLOAT
212 XmlDataLen LENGTH
213 XmlData DATA
223 CouponRate PERCENTAGE
229 TradeOriginationDate LOCALMKTDATE
231 ContractMultiplier FLOAT
262 MDReqID STRING
263 SubscriptionRequestType CHAR : 0 1 2
264 MarketDepth INT
265 MDUpdateType INT : 0 1
266 AggregatedBook BOOLEAN : N Y
267 NoMDEntryTypes NUMINGROUP
268 NoMDEntries NUMINGROUP
269 MDEntryType CHAR : 0 1 2 3 4 5 6 7 8 9 A B C
270 MDEntryPx PRICE
271 MDEntrySize QTY
272 MDEntryDate UTCDATEONLY
273 MDEntryTime UTCTIMEONLY
274 TickDirection CHAR : 0 1 2 3
275 MDMkt EXCHANGE
276 QuoteCondition MULTIPLEVALUESTRING : A B C D E F G H I
277 TradeCondition MULTIPLEVALUESTRING : A B C D E F G H I J K L M N P Q R
278 MDEntryID STRING
279 MDUpdateAction CHAR : 0 1 2
280 MDEntryRefID STRING
281 MDReqRejReason CHAR : 0 1 2 3 4 5 6 7 8 9 A B C
282 MDEntryOriginator STRING
283 LocationID STRING
284 DeskID STRING
285 DeleteReason CHAR : 0 1
286 OpenCloseSettlFlag MULTIPLEVALUESTRING : 0 1 2 3 4 5
287 SellerDays INT
288 MDEntryBuyer STRING
289 MDEntrySeller STRING
290 MDEntryPositionNo INT
291 FinancialStatus MULTIPLEVALUESTRING : 1 2
292 CorporateAction MULTIPLEVALUESTRING : A B C D E
293 DefBidSize QTY
294 DefOfferSize QTY
295 NoQuoteEntries NUMINGROUP
296 NoQuoteSets NUMINGROUP
297 QuoteStatus INT : 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15
298 QuoteCancelType INT : 1 2 3 4
299 QuoteEntryID STRING
300 QuoteRejectReason INT : 1 2 3 4 5 6 7 8 9 99
301 QuoteResponseLevel INT : 0 1 2
302 QuoteSetID STRING
303 QuoteRequestType INT : 1 2
304 TotNoQuoteEntries INT
311 UnderlyingSymbol STRING
320 SecurityReqID STRING
322 SecurityResponseID STRING
323 SecurityResponseType INT : 1 2 5 6
336 TradingSessionID STRING
346 NumberOfOrders INT
347 MessageEncoding STRING : UTF-8 EUC-JP Shift_JIS ISO-2022-JP
348 EncodedIssuerLen LENGTH
349 EncodedIssuer DATA
350 EncodedSecurityDescLen LENGTH
351 EncodedSecurityDesc DATA
354 EncodedTextLen LENGTH
355 EncodedText DATA
367 QuoteSetValidUntilTime UTCTIMESTAMP
368 QuoteEntryRejectReason INT
369 LastMsgSeqNumProcessed SEQNUM
371 RefTagID INT
372 RefMsgType STRING
373 SessionRejectReason INT : 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 99
376 ComplianceID STRING
377 SolicitedFlag BOOLEAN : N Y
378 ExecRestatementReason INT : 0 1 2 3 4 5 6 7 8 9 10 99
379 BusinessRejectRefID STRING
380 BusinessRejectReason INT : 0 1 2 3 4 5 6 7
383 MaxMessageSize LENGTH
384 NoMsgTypes NUMINGROUP
385 MsgDirection CHAR : R S
386 NoTradingSessions NUMINGROUP
387 TotalVolumeTraded QTY
388 DiscretionInst CHAR : 0 1 2 3 4 5 6
389 DiscretionOffsetValue FLOAT
423 PriceType INT : 1 2 3 4 5 6 7 8 9 10 11
424 DayOrderQty QTY
425 DayCumQty QTY
426 DayAvgPx PRICE
427 GTBookingInst INT : 0 1 2
432 ExpireDate LOCALMKTDATE
434 CxlRejResponseTo CHAR : 1 2
448 PartyID STRING
447 PartyIDSource CHAR : 1 2 3 4 5 6 7 8 9 A B C D E F G H I
451 NetChgPrevDay PRICEOFFSET
452 PartyRole INT : 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38
453 NoPartyIDs NUMINGROUP
454 NoSecurityAltID NUMINGROUP
455 SecurityAltID STRING
456 SecurityAltIDSource STRING
460 Product INT : 1 2 3 4 5 6 7 8 9 10 11 12 13
461 CFICode STRING
464 TestMessageIndicator BOOLEAN : N Y
494 Designation STRING
526 SecondaryClOrdID STRING
527 SecondaryExecID STRING
528 OrderCapacity CHAR : A G I P R W
529 OrderRestrictions MULTIPLEVALUESTRING : 1 2 3 4 5 6 7 8 9 A
537 QuoteType INT : 0 1 2 3
541 MaturityDate LOCALMKTDATE
553 Username STRING
554 Password STRING
581 AccountType INT : 1 2 3 4 6 7 8
582 CustOrderCapacity INT : 1 2 3 4
583 ClOrdLinkID STRING
586 OrigOrdModTime UTCTIMESTAMP
625 TradingSessionSubID STRING
631 MidPx PRICE
636 WorkingIndicator BOOLEAN : N Y
644 RFQReqID STRING
660 AcctIDSource INT : 1 2 3 4 5 99
662 BenchmarkPrice PRICE
693 QuoteRespID STRING
762 SecuritySubType STRING
789 NextExpectedMsgSeqNum SEQNUM
802 NoPartySubIDs NUMINGROUP
523 PartySubID STRING
803 PartySubIDType INT : 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26
815 ApplQueueAction INT : 0 1 2 3
816 NoAltMDSource NUMINGROUP
817 AltMDSourceID STRING
827 ExpirationCycle INT : 0 1
851 LastLiquidityInd INT : 1 2 3
854 QtyType INT : 0 1
893 LastFragment BOOLEAN : N Y
"""

COMPONENTS = {
    "Instrument": "55 65 48 22 454{455 456} 460 461 167 762 200 541 201 224 225 239 226 227 "
    "228 255 543 470 471 472 240 202 947 206 231 223 207 106 348 349 107 350 351 691 667 "
    "875 876 864{865 866 867 868} 873 874",
    "Parties": "453{448 447 452 802{523 803}}",
    "OrderQtyData": "38 152 516 468 469",
    "CommissionData": "12 13 479 497",
    "Stipulations": "232{233 234}",
    "TrdgSesGrp": "386{336 625}",
    "PegInstructions": "211 835 836 837 838 840",
    "DiscretionInstructions": "388 389 841 842 843 844 846",
    "Text": "58 354 355",
}

HEADER = (
    "8! 9! 35! 49! 56! 115 128 90 91 34! 50 142 57 143 116 144 129 145 43 97 52! 122 "
    "212 213 347 369 627{628 629 630}"
)
TRAILER = "93 89 10!"

# msg type -> (name, "admin" | "app", body)
MESSAGES: dict[str, tuple[str, str, str]] = {
    "0": ("Heartbeat", "admin", "112"),
    "1": ("TestRequest", "admin", "112!"),
    "2": ("ResendRequest", "admin", "7! 16!"),
    "3": ("Reject", "admin", "45! 371 372 373 @Text"),
    "4": ("SequenceReset", "admin", "123 36!"),
    "5": ("Logout", "admin", "@Text"),
    "A": ("Logon", "admin", "98! 108! 95 96 141 789 383 384{372 385} 464 553 554"),
    "j": ("BusinessMessageReject", "app", "45 372! 379 380! @Text"),
    "D": (
        "NewOrderSingle",
        "app",
        "11! 526 583 @Parties 229 75 1 660 581 589 590 591 70 78{79 661 736 467 80} 63 64 "
        "544 635 21 18 110 111 100 @TrdgSesGrp 81 @Instrument 140 54! 114 60! @Stipulations "
        "854 @OrderQtyData 40! 423 44 99 15 376 377 23 117 59 168 432 126 427 528 529 582 121 "
        "120 775 @Text 193 192 640 77 203 210 @PegInstructions @DiscretionInstructions 847 "
        "848 849 494 480 481 513",
    ),
    "F": (
        "OrderCancelRequest",
        "app",
        "41! 37 11! 526 583 66 586 1 660 581 @Parties @Instrument 54! 60! @OrderQtyData 376 @Text",
    ),
    "G": (
        "OrderCancelReplaceRequest",
        "app",
        "37 @Parties 229 75 1 660 581 589 590 591 70 78{79 661 736 467 80} 41! 11! 526 583 66 "
        "586 63 64 544 635 21 18 110 111 100 @TrdgSesGrp @Instrument 54! 60! "
        "854 @OrderQtyData 40! 423 44 99 15 376 377 59 168 432 126 427 528 529 582 121 "
        "120 775 @Text 193 192 640 77 203 210 @PegInstructions @DiscretionInstructions 847 "
        "848 849 494 480 481 513",
    ),
    "9": (
        "OrderCancelReject",
        "app",
        "37! 198 526 11! 583 41! 39! 636 586 66 1 660 581 229 75 434! 102 @Text",
    ),
    "8": (
        "ExecutionReport",
        "app",
        "37! 198 526 527 11 41 583 693 790 584 911 912 @Parties 229 382{375 337 437 438 655} "
        "66 548 551 549 17! 19 150! 39! 636 103 378 1 660 581 589 590 591 63 64 544 635 "
        "@Instrument 54! @Stipulations 854 @OrderQtyData 40 423 44 99 @PegInstructions "
        "@DiscretionInstructions 839 845 847 848 849 850 15 376 377 59 168 432 126 18 528 "
        "529 582 32 652 31 651 669 194 195 30 336 625 943 29 151! 14! 6! 424 425 426 427 75 "
        "60 113 @CommissionData 381 157 230 158 159 738 920 921 922 258 259 260 238 237 118 "
        "119 120 155 156 21 110 111 77 210 775 @Text 193 192 641 442 480 481 513 494 483 515 "
        "484 485 638 639 851 518{519 520 521} 797 136{137 138 139 891}",
    ),
    "i": (
        "MassQuote",
        "app",
        "131 117! 537 301 @Parties 1 660 581 293 294 296!{302! 311 312 309 305 367 304! 893 "
        "295!{299! @Instrument 132 133 134 135 62 188 190 189 191 631 632 633 634 60 336 625 "
        "64 40 193 192 642 643 15}}",
    ),
    "b": (
        "MassQuoteAcknowledgement",
        "app",
        "131 117 297! 300 537 301 @Parties 1 660 581 @Text 296{302 311 312 309 305 304 893 "
        "295{299 @Instrument 132 133 134 135 62 188 190 189 191 631 632 633 634 60 336 625 64 "
        "40 193 192 642 643 15 368}}",
    ),
    "Z": (
        "QuoteCancel",
        "app",
        "131 117! 298! 301 @Parties 1 660 581 336 625 295{55 65 48 22 454{455 456} 460 461 167 "
        "762 200 541 201 202 206 231 207 107}",
    ),
    "R": (
        "QuoteRequest",
        "app",
        "131! 644 11 528 146!{@Instrument 140 303 537 336 625 229 54 854 @OrderQtyData 63 64 "
        "193 192 15 @Stipulations 1 660 581 692 40 62 126 60 423 44 640 @Parties} @Text",
    ),
    "S": (
        "Quote",
        "app",
        "131 117! 693 537 735{695} 301 @Parties 336 625 @Instrument 54 @OrderQtyData 63 64 193 "
        "192 15 @Stipulations 1 660 581 132 133 645 646 647 648 134 135 62 188 190 189 191 "
        "642 643 631 632 633 634 60 40 12 13 423 @Text",
    ),
    "V": (
        "MarketDataRequest",
        "app",
        "262! 263! 264! 265 266 286 267!{269!} 146!{@Instrument} @TrdgSesGrp 815",
    ),
    "W": (
        "MarketDataSnapshotFullRefresh",
        "app",
        "262 @Instrument 291 292 451 268!{269! 270 15 271 272 273 274 275 336 "
        "625 276 277 282 283 284 286 59 432 126 110 18 287 37 299 288 289 346 290 546 811 "
        "@Text} 813 814",
    ),
    "X": (
        "MarketDataIncrementalRefresh",
        "app",
        "262 268!{279! 285 269 278 280 @Instrument 291 292 270 15 271 272 273 274 275 336 625 "
        "276 277 282 283 284 286 59 432 126 110 18 287 37 299 288 289 346 290 546 811 451 "
        "@Text} 813 814",
    ),
    "Y": ("MarketDataRequestReject", "app", "262! 281 816{817} @Text"),
    "d": (
        "SecurityDefinition",
        "app",
        "320! 322! 323! @Instrument 15 336 625 @Text 827 562 561",
    ),
}

# Every FIX 4.4 tag number lies in this range; tags outside it are "Invalid tag number".
MAX_STANDARD_TAG = 956
