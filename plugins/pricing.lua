-- pricing.lua: how Brightside Roofing & Painting prices a job.
--
-- A flow step `plugin: pricing.quote` calls quote(ctx) below. ctx holds:
--   ctx.lead     what we know about the customer (name, email, address...)
--   ctx.project  the job: service ("roofing", "painting", "other"), urgent,
--                estimate = { area_m2 = 40, material = "tiles", surface = ... }
--   ctx.vars     every variable of the conversation; ctx.vars.contact.language
--                is the language the bot answers the customer in ("en", "es")
--   ctx.config   plugins.config from allmyleads.yaml (read-only)
--
-- quote returns the LINES of a quote, never its totals:
--   { currency = "EUR",
--     items = { { description = "...", quantity = 12.5, unit = "m²", unit_price = 35,
--                 rule = "roofing.rates.tiles" }, ... },   -- rule: optional, shown to the owner
--     discount = 0.05,    -- optional fraction of the subtotal
--     tax_rate = 0.21,    -- optional, applied after the discount
--     valid_days = 30,    -- optional
--     notes = "..." }     -- optional
-- The host turns unit prices (in euros here) into cents, multiplies and
-- rounds each line half away from zero, then adds the lines up, takes the
-- discount off and adds tax, all in whole cents. So a price is the same
-- every time, and you never round money yourself. quantity defaults to 1.
--
-- Calling error("...") stops the quote; the flow then goes to its
-- on_error step (usually a person takes over).
--
-- Try it:   allmyleads plugin run pricing --fn quote --input job.json
-- Test it:  allmyleads plugin test        (runs pricing_test.lua)

-- Every number below can be overridden in allmyleads.yaml, for example:
--   plugins:
--     config:
--       currency: GBP
--       vat_rate: 0.20
--       roofing: { minimum: 600, rates: { slate: 95 } }
-- Values at the top of a file are shared by every call: treat them as
-- constants and never change them inside quote.
local DEFAULTS = {
  currency = "EUR",
  vat_rate = 0.21,   -- 21% VAT on the whole quote
  valid_days = 30,
  rush_rate = 0.15,  -- rush fee: 15% on top of the work when the customer is in a hurry

  roofing = {
    -- price per m² by roof covering (project.estimate.material)
    rates = { tiles = 55, slate = 85, metal = 48, flat_roof = 62 },
    default_rate = 60,  -- covering unknown or "other": a middle price
    minimum = 450,      -- the smallest roofing job we take on
    scaffolding = 350,  -- flat fee: every roof job needs scaffolding
  },

  painting = {
    -- price per m² by what is painted (project.estimate.surface)
    rates = { interior_walls = 16, ceilings = 19, exterior_walls = 24, woodwork = 32 },
    default_rate = 20,
    primer = 4.5,       -- per m², for surfaces that need a primer coat first
    primer_for = { exterior_walls = true, woodwork = true },
    minimum = 250,
  },
}

local NONE = {} -- stands in for a missing table; never written to

-- The words customers read on the quote, in the language the bot answers
-- them in (ctx.vars.contact.language: "en", "es"...); a language missing
-- here gets English. {m2} and {rate} are filled in.
local WORDS = {
  en = {
    roofing = "Roofing", painting = "Painting", scaffolding = "Scaffolding", primer = "Primer coat", job = "job",
    minimum = "minimum charge, up to {m2} m²", rush = "Rush fee ({rate}%)",
    notes = "Price includes labour and materials.",
    tiles = "tiles", slate = "slate", metal = "metal", flat_roof = "flat roof",
    interior_walls = "interior walls", ceilings = "ceilings", exterior_walls = "exterior walls", woodwork = "woodwork",
  },
  es = {
    roofing = "Tejado", painting = "Pintura", scaffolding = "Andamio", primer = "Capa de imprimación", job = "ud.",
    minimum = "cargo mínimo, hasta {m2} m²", rush = "Recargo por urgencia ({rate} %)",
    notes = "El precio incluye mano de obra y materiales.",
    tiles = "tejas", slate = "pizarra", metal = "chapa", flat_roof = "cubierta plana",
    interior_walls = "paredes interiores", ceilings = "techos", exterior_walls = "paredes exteriores", woodwork = "carpintería",
  },
}

-- words_for picks the words of the customer's language.
local function words_for(ctx)
  local contact = (ctx.vars or NONE).contact or NONE
  return WORDS[contact.language or "en"] or WORDS.en
end

-- fill puts values into a phrase: fill("up to {m2} m²", { m2 = 40 }).
local function fill(phrase, values)
  return (phrase:gsub("{(%w+)}", function(k) return tostring(values[k]) end))
end

-- rate_for picks the rate of a material: the configured one, else ours,
-- else the service's default rate. `a or b` is Lua's "a unless it is nil".
local function rate_for(own, defaults, material)
  local own_rates = own.rates or NONE
  return own_rates[material] or defaults.rates[material] or own.default_rate or defaults.default_rate
end

-- number_of accepts 40, "40", "40 m2" or an extractor answer { value = 40 }.
local function number_of(v)
  if type(v) == "number" then
    return v -- the usual case
  end
  if type(v) == "table" then
    v = v.value
  end
  if type(v) == "string" then
    v = tonumber((v:gsub(",", "."):match("%d+%.?%d*")))
  end
  if type(v) ~= "number" then
    return nil
  end
  return v
end

-- is_yes reads answers such as true, "yes", "urgent".
local function is_yes(v)
  if type(v) == "string" then
    v = v:lower()
    return v == "yes" or v == "true" or v == "urgent" or v == "asap"
  end
  return v == true
end

-- area returns the size of the job in m², rounded to one decimal as a
-- customer would say it, or stops the quote when it is unknown.
local function area(estimate)
  local m2 = number_of(estimate.area_m2)
  if m2 == nil or m2 <= 0 then
    error("needs a human: the area of the job is unknown")
  end
  if m2 > 5000 then
    error("needs a human: " .. m2 .. " m² is larger than we quote automatically")
  end
  return round(m2, 1)
end

local function label_for(words, service, material)
  local name = words[material]
  if name == nil then
    return words[service]
  end
  return words[service] .. ", " .. name
end

-- rate_rule names the setting a rate came from, for the owner's console.
local function rate_rule(service, own, defaults, material)
  if material ~= nil and ((own.rates or NONE)[material] or defaults.rates[material]) then
    return service .. ".rates." .. material
  end
  return service .. ".default_rate"
end

-- work_line prices the work: area × rate, raised to the minimum charge.
-- It returns the line and what the work costs (the base of the rush fee).
local function work_line(words, label, m2, rate, minimum, rule, service)
  if m2 * rate < minimum then
    -- One line at the minimum reads better than a discount the customer
    -- never asked for.
    return { description = label .. " (" .. fill(words.minimum, { m2 = m2 }) .. ")", unit = words.job, unit_price = minimum, rule = service .. ".minimum" }, minimum
  end
  return { description = label, quantity = m2, unit = "m²", unit_price = rate, rule = rule }, m2 * rate
end

-- A pricer returns the lines of one service and the cost of the work.
local PRICERS = {}

function PRICERS.roofing(estimate, config, words)
  local own, defaults = config.roofing or NONE, DEFAULTS.roofing
  local material = estimate.material
  local m2 = area(estimate)
  local rate = rate_for(own, defaults, material)
  local rule = rate_rule("roofing", own, defaults, material)
  local work, cost = work_line(words, label_for(words, "roofing", material), m2, rate, own.minimum or defaults.minimum, rule, "roofing")
  local scaffolding = { description = words.scaffolding, unit = words.job, unit_price = own.scaffolding or defaults.scaffolding, rule = "roofing.scaffolding" }
  return { work, scaffolding }, cost
end

function PRICERS.painting(estimate, config, words)
  local own, defaults = config.painting or NONE, DEFAULTS.painting
  local surface = estimate.surface
  local m2 = area(estimate)
  local rate = rate_for(own, defaults, surface)
  local rule = rate_rule("painting", own, defaults, surface)
  local work, cost = work_line(words, label_for(words, "painting", surface), m2, rate, own.minimum or defaults.minimum, rule, "painting")
  local items = { work }
  if (own.primer_for or defaults.primer_for)[surface] then
    local primer = own.primer or defaults.primer
    items[2] = { description = words.primer, quantity = m2, unit = "m²", unit_price = primer, rule = "painting.primer" }
    cost = cost + m2 * primer
  end
  return items, cost
end

-- quote is the pricing hook. It reads only ctx; it may call log(...) to
-- leave a note in the structured log (tagged with the plugin and contact).
function quote(ctx)
  local project = ctx.project or NONE
  local config = ctx.config or NONE
  local service = project.service

  local pricer = PRICERS[service]
  if pricer == nil then
    -- "other" and anything we do not recognise goes to a person.
    error("needs a human: no automatic price for service " .. tostring(service))
  end
  local words = words_for(ctx)
  local items, work = pricer(project.estimate or NONE, config, words)

  if is_yes(project.urgent) then
    -- The rush fee is a share of the work (not of scaffolding). A price we
    -- compute ourselves is rounded to cents with round(x, 2) so the line
    -- shows exactly what the customer pays.
    local rush = config.rush_rate or DEFAULTS.rush_rate
    items[#items + 1] = { description = fill(words.rush, { rate = round(rush * 100) }), unit_price = round(work * rush, 2), rule = "rush_rate" }
  end

  log("priced", service, #items, "lines")
  local valid_days = config.valid_days or DEFAULTS.valid_days
  return {
    currency = config.currency or DEFAULTS.currency,
    items = items,
    tax_rate = config.vat_rate or DEFAULTS.vat_rate,
    valid_days = valid_days,
    notes = words.notes,  -- the validity date is shown by the host
  }
end
