// Key expressions: see KeyExpr.swift.
