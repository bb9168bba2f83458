"""The JSON API, version 1, mounted at /api/v1/ (dti/urls.py).

django-ninja: the OpenAPI schema (/api/v1/openapi.json) is generated from the
same type hints that validate the requests and shape the answers, so it
cannot drift from the code; schemathesis checks the answers against it
(tests/api/test_api_schema.py). The docs page (/api/v1/docs) is Swagger UI
from django-ninja's own static files, nothing from a CDN.
"""

from ninja import NinjaAPI, Swagger

from . import errors, provider, public

DESCRIPTION = """
**DTI assessment platform — JSON API, version 1.**

*Published results* (`/results/…`) are public: no token, the same data as the
public results pages, only published campaigns. *Data providers* (`/provider/…`)
send the figures they owe with a personal token, made on the page
*Tài khoản → API* (`/tai-khoan/api/`) and sent as `Authorization: Bearer <token>`;
a token can do only what its person may do in the pages. Lists are paged
(`page`, `page_size`). Decimals are strings. Errors are `{"detail": "…"}`, in
Vietnamese unless the language cookie says otherwise. Too many requests: 429
with `Retry-After`.

---

**Nền tảng đánh giá Chỉ số chuyển đổi số (DTI) — API JSON, phiên bản 1.**

*Kết quả đã công bố* (`/results/…`) là công khai: không cần mã truy cập, cùng dữ
liệu với trang kết quả công khai, chỉ các đợt đánh giá đã công bố. *Đơn vị cung
cấp số liệu* (`/provider/…`) gửi số liệu được giao bằng mã truy cập (token) cá
nhân, tạo tại trang *Tài khoản → API* (`/tai-khoan/api/`) và gửi trong tiêu đề
`Authorization: Bearer <token>`; mã chỉ làm được những gì người sở hữu được làm
trên trang web. Danh sách được phân trang (`page`, `page_size`). Số thập phân
là chuỗi ký tự. Lỗi có dạng `{"detail": "…"}`, bằng tiếng Việt. Gửi quá nhiều
yêu cầu: mã 429 kèm `Retry-After`.
"""

api = NinjaAPI(
    title="DTI API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    # validatorUrl: Swagger UI would otherwise ask validator.swagger.io for a badge.
    docs=Swagger(settings={"validatorUrl": None, "persistAuthorization": False}),
)
errors.install(api)
api.add_router("/results/", public.router)
api.add_router("/provider/", provider.router)
