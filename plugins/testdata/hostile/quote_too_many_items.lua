-- want: result
-- call: quote
-- error: quote: invalid quote: items: more than 1000 items
function quote(ctx)
  local items = {}
  for i = 1, 5000 do items[i] = { description = "line " .. i, unit_price = 1 } end
  return { currency = "EUR", items = items }
end
