-- pricing_test.lua: tests of pricing.lua. Run with `allmyleads plugin test`.
--
-- Every global function named test_* is a test. The functions of
-- pricing.lua (quote) are visible here, as in Go's same-package tests.
-- Helpers:
--   assert(v, message)                 fails when v is false or nil
--   assert_eq(actual, expected, msg)   deep equality of values and tables
--   assert_quote_total(ctx, total)     prices ctx like the bot does (the host
--                                      computes the amounts) and checks the
--                                      total in major units; returns the quote
--   assert_error(pattern, fn, ...)     fn(...) must fail with a message
--                                      containing pattern (plain text)

local function job(service, estimate, extra)
  local project = { service = service, estimate = estimate }
  for k, v in pairs(extra or {}) do
    project[k] = v
  end
  return { lead = { name = "Jane Smith" }, project = project }
end

function test_roofing_tiles()
  -- 40 m² × €55 = €2,200.00, scaffolding €350 → €2,550.00 + 21% VAT = €3,085.50
  local q = assert_quote_total(job("roofing", { area_m2 = 40, material = "tiles" }), 3085.50)
  assert_eq(#q.items, 2)
  assert_eq(q.items[1].description, "Roofing, tiles")
  assert_eq(q.items[1].quantity, 40)
  assert_eq(q.items[2].description, "Scaffolding")
  assert_eq(q.currency, "EUR")
  assert_eq(q.tax_rate, 0.21)
end

function test_roofing_material_sets_the_rate()
  -- slate: 20 m² × €85 = €1,700 + €350 = €2,050 + 21% = €2,480.50
  assert_quote_total(job("roofing", { area_m2 = 20, material = "slate" }), 2480.50)
  -- flat roof: 20 × €62 = €1,240 + €350 = €1,590 + 21% = €1,923.90
  assert_quote_total(job("roofing", { area_m2 = 20, material = "flat_roof" }), 1923.90)
end

function test_roofing_unknown_material_uses_default_rate()
  -- 10 × €60 = €600 + €350 = €950 + 21% = €1,149.50
  assert_quote_total(job("roofing", { area_m2 = 10 }), 1149.50)
  assert_quote_total(job("roofing", { area_m2 = 10, material = "other" }), 1149.50)
end

function test_roofing_minimum_charge()
  -- 5 m² × €55 = €275 is under the €450 minimum: €450 + €350 = €800 + 21% = €968
  local q = assert_quote_total(job("roofing", { area_m2 = 5, material = "tiles" }), 968)
  assert(q.items[1].description:find("minimum charge"), "the first line says it is the minimum")
end

function test_rush_fee_on_work_only()
  -- work €2,200, rush 15% = €330; + €350 scaffolding = €2,880 + 21% = €3,484.80
  local q = assert_quote_total(job("roofing", { area_m2 = 40, material = "tiles" }, { urgent = true }), 3484.80)
  assert_eq(q.items[3].description, "Rush fee (15%)")
  assert_eq(q.items[3].total, 330)
  -- answers from a chat count too
  assert_quote_total(job("roofing", { area_m2 = 40, material = "tiles" }, { urgent = "Yes" }), 3484.80)
end

function test_painting_with_primer()
  -- exterior walls: 50 m² × €24 = €1,200, primer 50 × €4.50 = €225 → €1,425 + 21% = €1,724.25
  local q = assert_quote_total(job("painting", { area_m2 = 50, surface = "exterior_walls" }), 1724.25)
  assert_eq(q.items[2].description, "Primer coat")
end

function test_painting_interior_no_primer_and_minimum()
  -- 30 × €16 = €480 + 21% = €580.80
  local q = assert_quote_total(job("painting", { area_m2 = 30, surface = "interior_walls" }), 580.80)
  assert_eq(#q.items, 1)
  -- 10 × €16 = €160 is under the €250 minimum: €250 + 21% = €302.50
  assert_quote_total(job("painting", { area_m2 = 10, surface = "interior_walls" }), 302.50)
end

function test_area_as_text_or_extractor_answer()
  -- 12.5 × €16 = €200 → minimum €250 → €302.50
  assert_quote_total(job("painting", { area_m2 = "12,5 m2", surface = "interior_walls" }), 302.50)
  -- 40.04 m² rounds to 40.0 m²: 40 × €55 + €350 = €2,550 → €3,085.50
  assert_quote_total(job("roofing", { area_m2 = { value = 40.04, confidence = 0.9 }, material = "tiles" }), 3085.50)
end

function test_config_overrides_defaults()
  local ctx = job("roofing", { area_m2 = 40, material = "tiles" })
  ctx.config = { currency = "GBP", vat_rate = 0.20, roofing = { rates = { tiles = 50 }, scaffolding = 400 } }
  -- 40 × £50 = £2,000 + £400 = £2,400 + 20% = £2,880.00
  local q = assert_quote_total(ctx, 2880)
  assert_eq(q.currency, "GBP")
end

function test_other_needs_a_human()
  assert_error("needs a human", quote, job("other", { area_m2 = 40 }))
  assert_error("needs a human", quote, { project = {} })
end

function test_missing_or_huge_area_needs_a_human()
  assert_error("area of the job is unknown", quote, job("roofing", {}))
  assert_error("area of the job is unknown", quote, job("painting", { area_m2 = "about half the house" }))
  assert_error("larger than we quote automatically", quote, job("roofing", { area_m2 = 12000 }))
end

function test_quote_in_the_customers_language()
  -- The bot answers this customer in Spanish: the lines and the note are
  -- in Spanish, the amounts the same.
  local ctx = job("roofing", { area_m2 = 40, material = "tiles" })
  ctx.vars = { contact = { language = "es" } }
  local q = assert_quote_total(ctx, 3085.50)
  assert_eq(q.items[1].description, "Tejado, tejas")
  assert_eq(q.items[2].description, "Andamio")
  assert_eq(q.notes, "El precio incluye mano de obra y materiales.")
  ctx.vars.contact.language = "xx" -- no words for it: English
  assert_eq(assert_quote_total(ctx, 3085.50).items[2].description, "Scaffolding")
end
