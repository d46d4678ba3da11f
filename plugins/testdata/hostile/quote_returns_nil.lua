-- want: result
-- call: quote
-- line: 5
-- error: quote: returned nothing; a pricing function must return a quote
function quote(ctx)
  local price = 100
  -- forgot: return { currency = "EUR", items = ... }
end
