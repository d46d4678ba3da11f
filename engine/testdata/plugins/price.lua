-- A small pricing plugin for the engine's tests.
function quote(ctx)
  local area = tonumber(ctx.project.area) or 0
  if ctx.project.service == "other" then
    error("other work needs a person")
  end
  return {
    currency = "EUR",
    items = {
      { description = "Roof repair", quantity = area, unit = "m²", unit_price = 42.5 },
      { description = "Call-out", quantity = 1, unit_price = 60 },
    },
    discount = 0.05,
    tax_rate = 0.21,
    valid_days = 30,
  }
end

function label(ctx)
  return { text = "Service: " .. ctx.project.service }
end
