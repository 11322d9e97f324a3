-- One list and two libraries (BASE-1..4, GIS-1): code tables, authorities, the
-- inspection item list, the object library and the inspector library.
CREATE EXTENSION IF NOT EXISTS postgis;

CREATE OR REPLACE FUNCTION touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END $$;

-- GB/T 2260 administrative divisions: 6-digit codes for province, city and county,
-- 9-digit NBS codes for towns (乡镇/街道). Municipalities (重庆) have no city level:
-- their counties hang directly under the province code.
CREATE TABLE division (
  code        text PRIMARY KEY CHECK (code ~ '^[0-9]{6}$|^[0-9]{9}$'),
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  level       smallint NOT NULL CHECK (level BETWEEN 1 AND 4),
  parent_code text REFERENCES division(code) ON UPDATE CASCADE,
  geom        geometry(MultiPolygon, 4326),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX division_parent_idx ON division(parent_code);
CREATE INDEX division_geom_idx ON division USING gist(geom);
CREATE TRIGGER division_touch BEFORE UPDATE ON division FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- 执法机关与部门: market-supervision bureaus, their sub-offices (分局/所) and the
-- cooperating departments of joint inspections.
CREATE TABLE authority (
  id            bigserial PRIMARY KEY,
  name          text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
  short_name    text CHECK (length(short_name) <= 50),
  kind          text NOT NULL CHECK (kind IN ('market_bureau', 'sub_office', 'cooperating')),
  division_code text NOT NULL REFERENCES division(code) ON UPDATE CASCADE,
  parent_id     bigint REFERENCES authority(id),
  phone         text CHECK (length(phone) <= 40),
  address       text CHECK (length(address) <= 200),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX authority_division_idx ON authority(division_code);
CREATE TRIGGER authority_touch BEFORE UPDATE ON authority FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- 科室
CREATE TABLE section (
  id           bigserial PRIMARY KEY,
  authority_id bigint NOT NULL REFERENCES authority(id),
  name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  phone        text CHECK (length(phone) <= 40),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (authority_id, name)
);
CREATE TRIGGER section_touch BEFORE UPDATE ON section FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- 企业类型 (市场主体类型代码)
CREATE TABLE enterprise_type (
  code       text PRIMARY KEY CHECK (code ~ '^[0-9]{4}$'),
  name       text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER enterprise_type_touch BEFORE UPDATE ON enterprise_type FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- GB/T 4754-2017 国民经济行业分类: sections (门类, one letter) and divisions (大类, two digits).
CREATE TABLE industry (
  code        text PRIMARY KEY CHECK (code ~ '^[A-T]$|^[0-9]{2}$'),
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  level       smallint NOT NULL CHECK (level IN (1, 2)),
  parent_code text REFERENCES industry(code) ON UPDATE CASCADE,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  CHECK ((level = 1) = (parent_code IS NULL))
);
CREATE TRIGGER industry_touch BEFORE UPDATE ON industry FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- 抽查事项清单 (form A.1)
CREATE TABLE inspection_item (
  id                      bigserial PRIMARY KEY,
  domain                  text NOT NULL CHECK (length(domain) BETWEEN 1 AND 100),
  name                    text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  object_type             text NOT NULL CHECK (length(object_type) BETWEEN 1 AND 100),
  initiating_authority_id bigint NOT NULL REFERENCES authority(id),
  cooperating_authority_ids bigint[] NOT NULL DEFAULT '{}',
  basis                   text CHECK (length(basis) <= 2000),
  method                  text CHECK (length(method) <= 200),
  importance              text NOT NULL DEFAULT 'general' CHECK (importance IN ('key', 'general')),
  max_ratio               numeric(5, 2) CHECK (max_ratio > 0 AND max_ratio <= 100),
  guide                   text CHECK (length(guide) <= 10000),
  remark                  text CHECK (length(remark) <= 1000),
  updated_at              timestamptz NOT NULL DEFAULT now(),
  UNIQUE (name, initiating_authority_id)
);
CREATE TRIGGER inspection_item_touch BEFORE UPDATE ON inspection_item FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- 检查对象名录库 B.1: market subjects, keyed by the unified social credit code.
CREATE TABLE market_subject (
  id                   bigserial PRIMARY KEY,
  uscc                 text NOT NULL UNIQUE CHECK (uscc ~ '^[0-9A-HJ-NPQRTUWXY]{18}$'),
  name                 text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  address              text CHECK (length(address) <= 300),
  phone                text CHECK (length(phone) <= 40),
  division_code        text NOT NULL REFERENCES division(code) ON UPDATE CASCADE,
  nature               text NOT NULL DEFAULT '企业' CHECK (nature IN ('企业', '个体工商户', '农民专业合作社', '其他组织')),
  enterprise_type_code text REFERENCES enterprise_type(code) ON UPDATE CASCADE,
  industry_code        text REFERENCES industry(code) ON UPDATE CASCADE,
  risk_level           smallint NOT NULL DEFAULT 2 CHECK (risk_level BETWEEN 1 AND 4),
  credit_level         text NOT NULL DEFAULT 'B' CHECK (credit_level IN ('A', 'B', 'C', 'D')),
  legal_representative text CHECK (length(legal_representative) <= 50),
  licence_no           text CHECK (length(licence_no) <= 60),
  geom                 geometry(Point, 4326),
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX market_subject_geom_idx ON market_subject USING gist(geom);
CREATE INDEX market_subject_division_idx ON market_subject(division_code);
CREATE INDEX market_subject_industry_idx ON market_subject(industry_code);
CREATE TRIGGER market_subject_touch BEFORE UPDATE ON market_subject FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- B.2 场地场所
CREATE TABLE venue (
  id                   bigserial PRIMARY KEY,
  name                 text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  region               text CHECK (length(region) <= 100),
  division_code        text NOT NULL REFERENCES division(code) ON UPDATE CASCADE,
  responsible_unit     text CHECK (length(responsible_unit) <= 200),
  responsible_uscc     text CHECK (responsible_uscc ~ '^[0-9A-HJ-NPQRTUWXY]{18}$'),
  responsible_person   text CHECK (length(responsible_person) <= 50),
  id_type              text CHECK (length(id_type) <= 30),
  id_number            text CHECK (length(id_number) <= 40),
  usage                text CHECK (length(usage) <= 100),
  scale                text CHECK (length(scale) <= 100),
  in_use_since         date,
  service_life_years   integer CHECK (service_life_years BETWEEN 0 AND 500),
  address              text CHECK (length(address) <= 300),
  phone                text CHECK (length(phone) <= 40),
  nature               text NOT NULL DEFAULT '其他组织' CHECK (nature IN ('企业', '个体工商户', '农民专业合作社', '其他组织')),
  industry_code        text REFERENCES industry(code) ON UPDATE CASCADE,
  risk_level           smallint NOT NULL DEFAULT 2 CHECK (risk_level BETWEEN 1 AND 4),
  credit_level         text NOT NULL DEFAULT 'B' CHECK (credit_level IN ('A', 'B', 'C', 'D')),
  geom                 geometry(Point, 4326),
  updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX venue_geom_idx ON venue USING gist(geom);
CREATE TRIGGER venue_touch BEFORE UPDATE ON venue FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- B.3 产品 (by production licence)
CREATE TABLE product (
  id                   bigserial PRIMARY KEY,
  licence_no           text NOT NULL UNIQUE CHECK (length(licence_no) BETWEEN 1 AND 60),
  product_name         text CHECK (length(product_name) <= 200),
  enterprise_name      text NOT NULL CHECK (length(enterprise_name) BETWEEN 1 AND 200),
  uscc                 text NOT NULL CHECK (uscc ~ '^[0-9A-HJ-NPQRTUWXY]{18}$'),
  issued_on            date,
  valid_until          date,
  address              text CHECK (length(address) <= 300),
  phone                text CHECK (length(phone) <= 40),
  division_code        text NOT NULL REFERENCES division(code) ON UPDATE CASCADE,
  nature               text NOT NULL DEFAULT '企业' CHECK (nature IN ('企业', '个体工商户', '农民专业合作社', '其他组织')),
  industry_code        text REFERENCES industry(code) ON UPDATE CASCADE,
  risk_level           smallint NOT NULL DEFAULT 2 CHECK (risk_level BETWEEN 1 AND 4),
  credit_level         text NOT NULL DEFAULT 'B' CHECK (credit_level IN ('A', 'B', 'C', 'D')),
  geom                 geometry(Point, 4326),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  CHECK (valid_until IS NULL OR issued_on IS NULL OR valid_until >= issued_on)
);
CREATE INDEX product_geom_idx ON product USING gist(geom);
CREATE TRIGGER product_touch BEFORE UPDATE ON product FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- 执法检查人员名录库 C.1
CREATE TABLE inspector (
  id                  bigserial PRIMARY KEY,
  name                text NOT NULL CHECK (length(name) BETWEEN 1 AND 50),
  phone               text CHECK (phone ~ '^[0-9+\- ]{5,20}$'),
  division_code       text NOT NULL REFERENCES division(code) ON UPDATE CASCADE,
  authority_id        bigint NOT NULL REFERENCES authority(id),
  section_id          bigint REFERENCES section(id),
  category            text NOT NULL CHECK (category IN ('law_enforcement', 'daily_supervision', 'expert')),
  qualifications      text[] NOT NULL DEFAULT '{}',
  specialties         text[] NOT NULL DEFAULT '{}',
  certificate_no      text CHECK (length(certificate_no) <= 40),
  is_leader           boolean NOT NULL DEFAULT false,
  active              boolean NOT NULL DEFAULT true,
  updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX inspector_authority_idx ON inspector(authority_id);
CREATE TRIGGER inspector_touch BEFORE UPDATE ON inspector FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- 工作日历: Chinese public holidays and make-up working days; a date not listed
-- counts by its weekday. Years present in work_calendar_year have an official schedule.
CREATE TABLE work_calendar (
  day  date PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('holiday', 'workday')),
  name text NOT NULL DEFAULT ''
);
CREATE TABLE work_calendar_year (
  year   integer PRIMARY KEY,
  source text NOT NULL
);

-- Batch imports of the object library, watched from the page.
CREATE TABLE import_job (
  id          bigserial PRIMARY KEY,
  kind        text NOT NULL CHECK (kind IN ('subjects', 'venues', 'products', 'inspectors')),
  filename    text NOT NULL,
  format      text NOT NULL,
  crs         text NOT NULL DEFAULT 'wgs84' CHECK (crs IN ('wgs84', 'gcj02')),
  status      text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed')),
  total       integer NOT NULL DEFAULT 0,
  done        integer NOT NULL DEFAULT 0,
  inserted    integer NOT NULL DEFAULT 0,
  updated     integer NOT NULL DEFAULT 0,
  unchanged   integer NOT NULL DEFAULT 0,
  rejected    integer NOT NULL DEFAULT 0,
  message     text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
CREATE TABLE import_error (
  import_id bigint NOT NULL REFERENCES import_job(id) ON DELETE CASCADE,
  row_no    integer NOT NULL,
  field     text NOT NULL DEFAULT '',
  code      text NOT NULL,
  message   text NOT NULL
);
CREATE INDEX import_error_job_idx ON import_error(import_id, row_no);

-- 企业类型 as a starting dictionary (市场主体类型 codes); editable data.
INSERT INTO enterprise_type(code, name) VALUES
  ('1100', '有限责任公司'), ('1200', '股份有限公司'), ('2100', '全民所有制企业'),
  ('3100', '集体所有制企业'), ('4100', '个人独资企业'), ('4200', '合伙企业'),
  ('5100', '外商投资有限责任公司'), ('5200', '外商投资股份有限公司'),
  ('6100', '港澳台投资有限责任公司'), ('9100', '个体工商户'), ('9200', '农民专业合作社');
