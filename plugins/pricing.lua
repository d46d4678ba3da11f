-- pricing.lua: how Brightside Roofing & Painting prices a job.
--
-- A flow step `plugin: pricing.quote` calls quote(ctx) below. ctx holds:
--   ctx.lead     what we know about the customer (name, email, address...)
--   ctx.project  the job: service ("roofing", "painting", "other"), urgent,
--                estimate = { area_m2 = 40, material = "tiles", surface = ... }
--   ctx.vars     every variable of the conversation
--   ctx.config   plugins.config from allmyleads.yaml (read-only)
--
-- quote returns the LINES of a quote, never its totals:
--   { currency = "EUR",
--     items = { { description = "...", quantity = 12.5, unit = "m²", unit_price = 35 }, ... },
--     discount = 0.05,    -- optional fraction of the subtotal
--     tax_rate = 0.21,    -- optional, applied after the discount
--     valid_days = 30,    -- optional
--     notes = "..." }     -- optional
-- The host turns unit prices (in euros here) into cents, multiplies and
-- rounds each line half away from zero, then adds the lines up, takes the
-- discount off and adds tax, all in whole cents. So a price is the same
-- every time, and you never round money yourself.
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

-- setting reads ctx.config.<section>.<key>, falling back to DEFAULTS.
-- ctx.config is read-only: read from it, never write to it.
local function setting(config, section, key)
  local own = config[section]
  if key ~= nil then
    own = type(own) == "table" and own[key] or nil
  end
  if own ~= nil then
    return own
  end
  if key == nil then
    return DEFAULTS[section]
  end
  return DEFAULTS[section][key]
end

-- rate_for picks the rate of a material from the configured table, then
-- from the defaults, then the section's default rate.
local function rate_for(config, section, material)
  local rates = setting(config, section, "rates")
  if material ~= nil and rates[material] ~= nil then
    return rates[material]
  end
  if material ~= nil and DEFAULTS[section].rates[material] ~= nil then
    return DEFAULTS[section].rates[material]
  end
  return setting(config, section, "default_rate")
end

-- number_of accepts 40, "40", "40 m2" or an extractor answer { value = 40 }.
local function number_of(v)
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
local function area(project)
  local estimate = project.estimate or {}
  local m2 = number_of(estimate.area_m2)
  if m2 == nil or m2 <= 0 then
    error("needs a human: the area of the job is unknown")
  end
  if m2 > 5000 then
    error("needs a human: " .. m2 .. " m² is larger than we quote automatically")
  end
  return round(m2, 1)
end

-- work_lines prices the work: area × rate, raised to the minimum charge.
-- It returns the lines and what the work costs (the base of the rush fee).
local function work_lines(label, m2, rate, minimum)
  if m2 * rate < minimum then
    -- One line at the minimum reads better than a discount the customer
    -- never asked for.
    return {
      { description = label .. " (minimum charge, up to " .. m2 .. " m²)", quantity = 1, unit = "job", unit_price = minimum },
    }, minimum
  end
  return { { description = label, quantity = m2, unit = "m²", unit_price = rate } }, m2 * rate
end

-- Names customers read, for the values the extractor gives.
local LABELS = {
  tiles = "tiles", slate = "slate", metal = "metal", flat_roof = "flat roof",
  interior_walls = "interior walls", ceilings = "ceilings", exterior_walls = "exterior walls", woodwork = "woodwork",
}

local function label_for(service, material)
  local name = LABELS[material]
  if name == nil then
    return service
  end
  return service .. ", " .. name
end

-- A pricer returns the lines of one service and the cost of the work.
local PRICERS = {}

function PRICERS.roofing(project, config)
  local material = (project.estimate or {}).material
  local m2 = area(project)
  local rate = rate_for(config, "roofing", material)
  local items, work = work_lines(label_for("Roofing", material), m2, rate, setting(config, "roofing", "minimum"))
  items[#items + 1] = { description = "Scaffolding", quantity = 1, unit = "job", unit_price = setting(config, "roofing", "scaffolding") }
  return items, work
end

function PRICERS.painting(project, config)
  local surface = (project.estimate or {}).surface
  local m2 = area(project)
  local rate = rate_for(config, "painting", surface)
  local items, work = work_lines(label_for("Painting", surface), m2, rate, setting(config, "painting", "minimum"))
  local primer_for = setting(config, "painting", "primer_for")
  if surface ~= nil and primer_for[surface] then
    local primer = setting(config, "painting", "primer")
    items[#items + 1] = { description = "Primer coat", quantity = m2, unit = "m²", unit_price = primer }
    work = work + m2 * primer
  end
  return items, work
end

-- quote is the pricing hook. It reads only ctx; it may call log(...) to
-- leave a note in the structured log (tagged with the plugin and contact).
function quote(ctx)
  local project = ctx.project or {}
  local config = ctx.config or {}
  local service = project.service

  local pricer = PRICERS[service]
  if pricer == nil then
    -- "other" and anything we do not recognise goes to a person.
    error("needs a human: no automatic price for service " .. tostring(service))
  end
  local items, work = pricer(project, config)

  if is_yes(project.urgent) then
    -- The rush fee is a share of the work (not of scaffolding). A price we
    -- compute ourselves is rounded to cents with round(x, 2) so the line
    -- shows exactly what the customer pays.
    local rush = setting(config, "rush_rate")
    items[#items + 1] = { description = "Rush fee (" .. round(rush * 100) .. "%)", unit_price = round(work * rush, 2) }
  end

  log("priced", service, #items, "lines")
  return {
    currency = setting(config, "currency"),
    items = items,
    tax_rate = setting(config, "vat_rate"),
    valid_days = setting(config, "valid_days"),
    notes = "Price includes labour and materials. Valid for " .. setting(config, "valid_days") .. " days.",
  }
end
